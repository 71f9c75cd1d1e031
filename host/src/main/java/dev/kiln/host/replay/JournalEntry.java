package dev.kiln.host.replay;

import dev.kiln.abi.Header;
import dev.kiln.abi.OutboundException;
import dev.kiln.abi.OutboundRequest;
import dev.kiln.abi.OutboundResponse;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One answer the host gave a guest during a recorded invocation, in call order. A replay hands the
 * answers back in the same order; the guest must ask the same call with the same arguments ({@link
 * #sameQuestion}), else the replay has diverged.
 */
public sealed interface JournalEntry {
    /** The host call's name, as the guest imports it. */
    String call();

    /** Bytes this entry holds, for the recording's size cap. */
    long size();

    /** Whether {@code other} asks the same call with the same arguments (answers aside). */
    boolean sameQuestion(JournalEntry other);

    /** {@code clock_unix_ns} or {@code clock_monotonic_ns}. */
    record Clock(String call, long value) implements JournalEntry {
        @Override
        public long size() {
            return 16;
        }

        @Override
        public boolean sameQuestion(JournalEntry other) {
            return other instanceof Clock c && c.call.equals(call);
        }
    }

    /** {@code random_fill}: the bytes handed out (their length is the question). */
    record Random(byte[] bytes) implements JournalEntry {
        @Override
        public String call() {
            return "random_fill";
        }

        @Override
        public long size() {
            return 16L + bytes.length;
        }

        @Override
        public boolean sameQuestion(JournalEntry other) {
            return other instanceof Random r && r.bytes.length == bytes.length;
        }
    }

    /**
     * {@code config_get}.
     *
     * @param value null when the key was not set
     * @param secret whether the value is one of the function's secrets: sealed at rest, redacted in
     *     an export unless an administrator asks
     */
    record Config(String key, String value, boolean secret) implements JournalEntry {
        @Override
        public String call() {
            return "config_get";
        }

        @Override
        public long size() {
            return 16L + key.length() + (value == null ? 0 : value.length());
        }

        @Override
        public boolean sameQuestion(JournalEntry other) {
            return other instanceof Config c && c.key.equals(key);
        }
    }

    /**
     * A key-value call (its question: the key, value, prefix, after or expected bytes, and the TTL,
     * delta or page size; {@code null} in {@code args} is "absent") and its answer: an error kind,
     * or the result as bytes (a value, a {@code kv_list} page) and a number (an increment's sum, 1
     * or 0 for a delete or swap, whether a get found the key).
     */
    record Kv(
            String call,
            List<byte[]> args,
            long number,
            String error,
            byte[] resultBytes,
            long resultNumber)
            implements JournalEntry {
        public Kv {
            args = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(args));
        }

        @Override
        public long size() {
            long n = 32L + (resultBytes == null ? 0 : resultBytes.length);
            for (byte[] a : args) {
                n += a == null ? 0 : a.length;
            }
            return n;
        }

        @Override
        public boolean sameQuestion(JournalEntry other) {
            if (!(other instanceof Kv k) || !k.call.equals(call) || k.number != number) {
                return false;
            }
            if (k.args.size() != args.size()) {
                return false;
            }
            for (int i = 0; i < args.size(); i++) {
                if (!Arrays.equals(args.get(i), k.args.get(i))) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * A WASI call whose answer is an errno and bytes written at its result pointer ({@code
     * clock_time_get}, {@code random_get}).
     */
    record Wasi(String call, long[] args, int errno, byte[] written) implements JournalEntry {
        public Wasi {
            Objects.requireNonNull(call, "call");
            args = args.clone();
        }

        @Override
        public long size() {
            return 32L + 8L * args.length + written.length;
        }

        @Override
        public boolean sameQuestion(JournalEntry other) {
            return other instanceof Wasi w && w.call.equals(call) && Arrays.equals(w.args, args);
        }
    }

    /**
     * {@code http_send}: the request the guest made (its question) and what it got — a response, or
     * a refusal or failure ({@code error}: an {@link OutboundException.Kind} name, or {@link
     * #DEADLINE} when the invocation's deadline passed during the call).
     *
     * <p>The question is compared by {@code requestSha256}, a SHA-256 over method, URL, header
     * fields and the body's SHA-256 ({@link RequestDigest}). For people reading a recording the
     * entry also keeps method, URL and header fields, and the body itself up to {@link
     * #INLINE_BODY_BYTES} (a larger one by its length and SHA-256 only). When the function has
     * secrets ({@code secret}), URL, header fields and body may carry one (an API key in a header),
     * so they are sealed at rest and left out of a non-admin export like a secret's value; such a
     * redacted request ({@code url} null) still replays, since only the digest is compared.
     *
     * @param body the request body when at most {@link #INLINE_BODY_BYTES} and not redacted, else
     *     null
     * @param responseHeaders the response's header fields (empty for an error)
     * @param responseBody the whole response body, which the guest reads (empty for an error)
     */
    record Http(
            String method,
            String url,
            List<Header> headers,
            long bodyBytes,
            String bodySha256,
            byte[] body,
            String requestSha256,
            boolean secret,
            String error,
            String message,
            int status,
            List<Header> responseHeaders,
            byte[] responseBody)
            implements JournalEntry {
        /** The error of a call the invocation's deadline cut: replayed as a timeout. */
        public static final String DEADLINE = "DEADLINE";

        /** Request bodies up to this size are kept whole; larger ones by length and digest. */
        public static final int INLINE_BODY_BYTES = 4096;

        public Http {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(bodySha256, "bodySha256");
            Objects.requireNonNull(requestSha256, "requestSha256");
            headers = headers == null ? null : List.copyOf(headers);
            responseHeaders = List.copyOf(responseHeaders);
            Objects.requireNonNull(responseBody, "responseBody");
            if (error != null && !error.equals(DEADLINE)) {
                OutboundException.Kind.valueOf(error); // an unknown kind is a malformed entry
            }
        }

        /** The question {@code request} asks, not answered yet. */
        public static Http question(OutboundRequest request, boolean secret) {
            String bodySha256 = RequestDigest.sha256(request.body());
            return new Http(
                    request.method(),
                    request.url(),
                    request.headers(),
                    request.body().length,
                    bodySha256,
                    request.body().length <= INLINE_BODY_BYTES ? request.body().clone() : null,
                    RequestDigest.of(request, bodySha256),
                    secret,
                    null,
                    null,
                    0,
                    List.of(),
                    new byte[0]);
        }

        /** This question answered with {@code response}. */
        public Http answered(OutboundResponse response) {
            return new Http(
                    method,
                    url,
                    headers,
                    bodyBytes,
                    bodySha256,
                    body,
                    requestSha256,
                    secret,
                    null,
                    null,
                    response.status(),
                    response.headers(),
                    response.body());
        }

        /** This question answered with a failure. */
        public Http failed(String error, String message) {
            Objects.requireNonNull(error, "error");
            return new Http(
                    method,
                    url,
                    headers,
                    bodyBytes,
                    bodySha256,
                    body,
                    requestSha256,
                    secret,
                    error,
                    message,
                    0,
                    List.of(),
                    new byte[0]);
        }

        /** This entry without its readable request (URL, header fields, body). */
        public Http redacted() {
            return new Http(
                    method,
                    null,
                    null,
                    bodyBytes,
                    bodySha256,
                    null,
                    requestSha256,
                    secret,
                    error,
                    message,
                    status,
                    responseHeaders,
                    responseBody);
        }

        /** The answer as the guest gets it: the response, or the exception the call throws. */
        public OutboundResponse response() {
            if (error == null) {
                return new OutboundResponse(status, responseHeaders, responseBody.clone());
            }
            if (error.equals(DEADLINE)) {
                throw new dev.kiln.abi.HostDeadlineException();
            }
            throw new OutboundException(
                    OutboundException.Kind.valueOf(error), message == null ? error : message);
        }

        @Override
        public String call() {
            return "http_send";
        }

        @Override
        public long size() {
            long n = 160L + method.length() + (url == null ? 0 : url.length());
            n += body == null ? 0 : body.length;
            n += message == null ? 0 : message.length();
            n += responseBody.length;
            for (List<Header> hs : Arrays.asList(headers, responseHeaders)) {
                if (hs != null) {
                    for (Header h : hs) {
                        n += 4L + h.name().length() + h.value().length();
                    }
                }
            }
            return n;
        }

        @Override
        public boolean sameQuestion(JournalEntry other) {
            return other instanceof Http h && h.requestSha256.equals(requestSha256);
        }
    }
}
