package dev.kiln.abi;

import java.util.List;
import java.util.Objects;

/**
 * An outbound HTTP request as a guest made it with {@code http_send} (ABI.md section 4.13), after
 * the ABI's own checks (method a token, headers well formed and not reserved, body within the cap).
 * The URL is still the guest's text: whoever sends it parses and checks it.
 *
 * @param method the request method, e.g. {@code GET}
 * @param url the absolute URL the guest passed
 * @param headers the guest's header fields, names lower-case, in order
 * @param body the request body, empty for none
 */
public record OutboundRequest(String method, String url, List<Header> headers, byte[] body) {
    public OutboundRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(url, "url");
        headers = List.copyOf(headers);
        Objects.requireNonNull(body, "body");
    }
}
