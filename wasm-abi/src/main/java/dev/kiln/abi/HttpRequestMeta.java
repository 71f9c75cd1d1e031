package dev.kiln.abi;

import java.util.List;

/**
 * What an HTTP-triggered guest can learn of its request besides the body.
 *
 * @param path the part of the URL path after {@code /fn/{service}/{function}}, starting with {@code
 *     /}, still percent-encoded
 * @param query the raw query string without {@code ?}, empty when there is none
 * @param headers in arrival order, names lower-case, repeated names kept as separate entries
 */
public record HttpRequestMeta(String method, String path, String query, List<Header> headers) {
    public HttpRequestMeta {
        headers = List.copyOf(headers);
    }
}
