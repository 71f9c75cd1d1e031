package dev.kiln.abi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code http_*} host calls of one invocation (wasm-abi/ABI.md section 4.13) over an {@link
 * OutboundHttp}: pointer rule first (a bad range is an ABI violation), then the request count and
 * the caps, then the method and header checks, then the request. Responses stay readable by their
 * handle until the invocation ends. Every byte read from the guest and every byte received for it
 * is charged as host work. Not thread-safe: one invocation runs on one thread.
 */
final class OutboundCalls {
    /**
     * Request headers the host sets itself (framing, the connection, the target): a guest setting
     * one gets {@link AbiV1#ERR_INVALID}.
     */
    static final Set<String> RESERVED_REQUEST_HEADERS =
            Set.of(
                    "host",
                    "content-length",
                    "transfer-encoding",
                    "connection",
                    "keep-alive",
                    "upgrade",
                    "te",
                    "trailer",
                    "proxy-connection",
                    "expect");

    private final OutboundHttp http;
    private final GuestEffects effects;
    private final List<OutboundResponse> responses = new ArrayList<>();
    private int requests;

    OutboundCalls(OutboundHttp http, GuestEffects effects) {
        this.http = http;
        this.effects = effects;
    }

    long call(HostCall call, HostWork w, GuestMemory memory, long[] args) {
        return switch (call) {
            case HTTP_SEND -> send(w, memory, args);
            case HTTP_RESPONSE_STATUS -> {
                OutboundResponse r = response(args[0]);
                yield r == null ? AbiV1.ERR_NOT_FOUND : r.status();
            }
            case HTTP_RESPONSE_HEADERS -> {
                OutboundResponse r = response(args[0]);
                yield r == null
                        ? AbiV1.ERR_NOT_FOUND
                        : HostCalls.copyOut(
                                w, memory, HeaderCodec.encode(r.headers()), args[1], args[2]);
            }
            case HTTP_RESPONSE_BODY -> {
                OutboundResponse r = response(args[0]);
                yield r == null
                        ? AbiV1.ERR_NOT_FOUND
                        : HostCalls.copyOut(w, memory, r.body(), args[1], args[2]);
            }
            default -> throw new IllegalArgumentException("not an outbound HTTP call: " + call);
        };
    }

    private OutboundResponse response(long handle) {
        return handle >= 0 && handle < responses.size() ? responses.get((int) handle) : null;
    }

    private long send(HostWork w, GuestMemory memory, long[] args) {
        memory.checkRange(args[0], args[1], "http_send method");
        memory.checkRange(args[2], args[3], "http_send url");
        memory.checkRange(args[4], args[5], "http_send headers");
        memory.checkRange(args[6], args[7], "http_send body");
        long methodLen = args[1] & 0xFFFF_FFFFL;
        long urlLen = args[3] & 0xFFFF_FFFFL;
        long headersLen = args[5] & 0xFFFF_FFFFL;
        long bodyLen = args[7] & 0xFFFF_FFFFL;
        OutboundLimits limits = http.limits();
        // Every call counts, refused ones too: a guest looping on a denied URL is bounded as well.
        if (++requests > limits.maxRequestsPerInvocation()) {
            if (requests > limits.maxRequestsPerInvocation() + 1) {
                return AbiV1.ERR_TOO_MANY_REQUESTS; // logged once, at the first refusal
            }
            return fail(
                    new OutboundException(
                            OutboundException.Kind.TOO_MANY_REQUESTS,
                            "more than "
                                    + limits.maxRequestsPerInvocation()
                                    + " outbound requests in one invocation"));
        }
        if (urlLen == 0 || urlLen > OutboundLimits.MAX_URL_BYTES) {
            return AbiV1.ERR_INVALID_URL;
        }
        if (methodLen == 0 || methodLen > OutboundLimits.MAX_METHOD_BYTES) {
            return AbiV1.ERR_INVALID;
        }
        if (headersLen > OutboundLimits.MAX_REQUEST_HEADER_BYTES
                || bodyLen > limits.maxRequestBodyBytes()) {
            return AbiV1.ERR_LIMIT;
        }
        w.bytes(methodLen + urlLen + headersLen + bodyLen);
        String method =
                new String(
                        memory.read((int) args[0], (int) methodLen), StandardCharsets.ISO_8859_1);
        if (!GuestEffects.isToken(method) || method.equalsIgnoreCase("CONNECT")) {
            return AbiV1.ERR_INVALID;
        }
        String url = new String(memory.read((int) args[2], (int) urlLen), StandardCharsets.UTF_8);
        List<Header> headers = headers(memory.read((int) args[4], (int) headersLen));
        if (headers == null) {
            return AbiV1.ERR_INVALID;
        }
        byte[] body = memory.read((int) args[6], (int) bodyLen);
        OutboundResponse response;
        try {
            response = http.send(new OutboundRequest(method, url, headers, body));
        } catch (OutboundException e) {
            return fail(e);
        }
        // The host received these bytes for the guest: paid for like any other host work.
        w.bytes(response.size());
        responses.add(response);
        return responses.size() - 1L;
    }

    /** Logs the refusal or failure on the function's log, and returns its code. */
    private long fail(OutboundException e) {
        effects.logLine(
                LogLevel.WARN,
                ("kiln: http_send failed ("
                                + e.kind().name().toLowerCase(Locale.ROOT)
                                + "): "
                                + e.getMessage())
                        .getBytes(StandardCharsets.UTF_8));
        return e.kind().code();
    }

    /**
     * Decodes and checks the guest's header block: well formed, at most {@link
     * OutboundLimits#MAX_REQUEST_HEADERS} fields, names tokens (stored lower-case) and not
     * reserved, values without control characters other than tab. Null when any check fails.
     */
    static List<Header> headers(byte[] block) {
        List<Header> decoded;
        try {
            decoded = HeaderCodec.decode(block);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (decoded.size() > OutboundLimits.MAX_REQUEST_HEADERS) {
            return null;
        }
        List<Header> out = new ArrayList<>(decoded.size());
        for (Header h : decoded) {
            if (!GuestEffects.isToken(h.name()) || !GuestEffects.isFieldValue(h.value())) {
                return null;
            }
            String name = h.name().toLowerCase(Locale.ROOT);
            if (RESERVED_REQUEST_HEADERS.contains(name) || name.startsWith("proxy-")) {
                return null;
            }
            out.add(new Header(name, h.value()));
        }
        return out;
    }
}
