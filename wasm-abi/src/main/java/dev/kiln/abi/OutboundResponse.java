package dev.kiln.abi;

import java.util.List;
import java.util.Objects;

/**
 * The response to an {@link OutboundRequest}: what the guest reads with {@code
 * http_response_status}, {@code http_response_headers} and {@code http_response_body}.
 *
 * @param status the HTTP status, 100–599 (never a redirect followed: a 3xx is returned as is)
 * @param headers the response's header fields, names lower-case, in arrival order
 * @param body the whole body (empty for {@code HEAD}, 204 and 304)
 */
public record OutboundResponse(int status, List<Header> headers, byte[] body) {
    public OutboundResponse {
        headers = List.copyOf(headers);
        Objects.requireNonNull(body, "body");
    }

    /** Bytes this response counts against the invocation's response cap: header fields and body. */
    public long size() {
        long n = body.length;
        for (Header h : headers) {
            n += h.name().length() + h.value().length() + 4;
        }
        return n;
    }
}
