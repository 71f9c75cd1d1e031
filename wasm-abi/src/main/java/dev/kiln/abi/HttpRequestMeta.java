package dev.kiln.abi;

import java.util.List;
import java.util.Objects;

/**
 * What an HTTP-triggered guest can learn of its request besides the body.
 *
 * @param path the part of the URL path after {@code /fn/{service}/{function}}, starting with {@code
 *     /}, still percent-encoded
 * @param query the raw query string without {@code ?}, empty when there is none
 * @param headers in arrival order, names lower-case, repeated names kept as separate entries
 * @param protocol the request's protocol, e.g. {@code HTTP/1.1}
 * @param remoteAddress the client's IP address as text, empty when unknown
 */
public record HttpRequestMeta(
        String method,
        String path,
        String query,
        List<Header> headers,
        String protocol,
        String remoteAddress) {
    public HttpRequestMeta {
        headers = List.copyOf(headers);
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(remoteAddress, "remoteAddress");
    }

    /** A request over HTTP/1.1 from an unknown address. */
    public HttpRequestMeta(String method, String path, String query, List<Header> headers) {
        this(method, path, query, headers, "HTTP/1.1", "");
    }
}
