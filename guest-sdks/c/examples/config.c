/* config: greets the name in the event with the function's GREETING setting
 * (PATCH .../functions/{f} with {"env": {"GREETING": "Hi"}}), "Hello" when unset. */
#define KILN_IMPLEMENTATION
#include "kiln.h"

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static int handle(kiln_str event, kiln_buf *out) {
    kiln_str name = event;
    while (name.len && is_space(name.ptr[0])) name.ptr++, name.len--;
    while (name.len && is_space(name.ptr[name.len - 1])) name.len--;
    if (name.len == 0) name = KILN_STR("world");

    kiln_buf_put_str(out, kiln_config_get_or("GREETING", "Hello"));
    kiln_buf_puts(out, ", ");
    kiln_buf_put_str(out, name);
    kiln_buf_putc(out, '!');
    return KILN_OK;
}

KILN_EVENT_HANDLER(handle)
