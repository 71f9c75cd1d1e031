/* hello: an HTTP function. GET /fn/{service}/{function}/greet?name=Kiln answers
 * "Hello, Kiln! (GET /greet)" (the name can also come in an x-name header); other methods
 * get 405 with an allow header. */
#define KILN_IMPLEMENTATION
#include "kiln.h"

static int handle(const kiln_request *req, kiln_response *res) {
    if (!kiln_str_eq(req->method, "GET") && !kiln_str_eq(req->method, "HEAD")) {
        kiln_response_status(res, 405);
        kiln_response_header(res, "allow", "GET, HEAD");
        kiln_buf_puts(&res->body, "only GET and HEAD\n");
        return KILN_OK;
    }
    kiln_str name = kiln_request_query_param(req, "name");
    if (!name.ptr) name = kiln_request_header(req, "x-name");
    if (!name.ptr) name = KILN_STR("world");

    kiln_buf line = {0};
    kiln_buf_puts(&line, "hello ");
    kiln_buf_put_str(&line, name);
    kiln_buf_puts(&line, " from ");
    kiln_buf_put_str(&line, req->path);
    kiln_log_str(KILN_INFO, kiln_buf_str(&line));
    kiln_buf_free(&line);

    kiln_response_status(res, 200);
    kiln_response_header(res, "content-type", "text/plain; charset=utf-8");
    kiln_response_header(res, "x-sdk", "c");
    kiln_buf_puts(&res->body, "Hello, ");
    kiln_buf_put_str(&res->body, name);
    kiln_buf_puts(&res->body, "! (");
    kiln_buf_put_str(&res->body, req->method);
    kiln_buf_putc(&res->body, ' ');
    kiln_buf_put_str(&res->body, req->path);
    kiln_buf_puts(&res->body, ")\n");
    return KILN_OK;
}

KILN_HTTP_HANDLER(handle)
