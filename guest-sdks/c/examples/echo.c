/* echo: returns the event (or HTTP body) unchanged. */
#define KILN_IMPLEMENTATION
#include "kiln.h"

static int handle(kiln_str event, kiln_buf *out) {
    kiln_buf_put_str(out, event);
    return KILN_OK;
}

KILN_EVENT_HANDLER(handle)
