package dev.kiln.host.sandbox;

import dev.kiln.abi.InvocationContext;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One wasi-cgi invocation's environment ({@link CgiEnvironment}), built when first asked for: most
 * commands never read their environment, and a pooled command's WASI asks only when the guest calls
 * {@code environ_sizes_get} or {@code environ_get}.
 */
final class LazyEnvironment {
    private final InvocationContext context;
    private final int contentLength;
    private Map<String, String> variables;
    private long bytes = -1;

    LazyEnvironment(InvocationContext context, int contentLength) {
        this.context = context;
        this.contentLength = contentLength;
    }

    Map<String, String> variables() {
        if (variables == null) {
            variables = CgiEnvironment.of(context, contentLength);
        }
        return variables;
    }

    /** What {@code environ_get} writes: each {@code NAME=value} with its NUL, and a pointer. */
    long bytes() {
        if (bytes < 0) {
            long n = 0;
            for (Map.Entry<String, String> e : variables().entrySet()) {
                n += utf8Length(e.getKey()) + utf8Length(e.getValue()) + 2 + 4;
            }
            bytes = n;
        }
        return bytes;
    }

    /** Bytes of {@code s} in UTF-8, without encoding it when it is ASCII (CGI variables are). */
    static int utf8Length(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return s.getBytes(StandardCharsets.UTF_8).length;
            }
        }
        return s.length();
    }
}
