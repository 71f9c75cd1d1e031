package dev.kiln.guest;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a handler knows about its invocation, read from the CGI environment the host sets
 * (wasm-abi/ABI.md 9.3). Named like Function Compute's Java {@code Context} where there is one.
 */
public final class Context {
    private final Map<String, String> env;
    private final Map<String, String> query;

    Context(Map<String, String> env) {
        this.env = env;
        this.query = parseQuery(env.getOrDefault("QUERY_STRING", ""));
    }

    /** The invocation's id, also in the response's X-Kiln-Request-Id. */
    public String getRequestId() {
        return env.getOrDefault("KILN_REQUEST_ID", "");
    }

    public String getService() {
        return env.getOrDefault("KILN_SERVICE", "");
    }

    public String getFunctionName() {
        return env.getOrDefault("KILN_FUNCTION", "");
    }

    /** The function version that runs. */
    public String getVersion() {
        return env.getOrDefault("KILN_VERSION", "");
    }

    /** {@code http} for the HTTP trigger, {@code invoke} for the invoke API. */
    public String getTrigger() {
        return env.getOrDefault("KILN_TRIGGER", "");
    }

    /** True when the HTTP trigger called: method, path, query and headers are the request's. */
    public boolean isHttp() {
        return "http".equals(getTrigger());
    }

    /** The deadline in Unix milliseconds. */
    public long getDeadlineMs() {
        try {
            return Long.parseLong(env.getOrDefault("KILN_DEADLINE_MS", "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    public long getRemainingTimeInMillis() {
        return Math.max(0, getDeadlineMs() - System.currentTimeMillis());
    }

    /** A setting of the function's {@code env} (or secret), or null. */
    public String getEnv(String name) {
        return env.get(name);
    }

    /** {@code POST} for an invoke; the request's method on the HTTP trigger. */
    public String getMethod() {
        return env.getOrDefault("REQUEST_METHOD", "POST");
    }

    /** The path after {@code /fn/service/function}, percent-decoded ({@code /} when none). */
    public String getPath() {
        return env.getOrDefault("PATH_INFO", "");
    }

    /** The raw query without {@code ?}. */
    public String getQuery() {
        return env.getOrDefault("QUERY_STRING", "");
    }

    /** The first value of a query parameter, percent-decoded, or null. */
    public String getQueryParameter(String name) {
        return query.get(name);
    }

    /** A request header (case-insensitive; repeated headers joined with ", "), or null. */
    public String getHeader(String name) {
        String key = name.toUpperCase().replace('-', '_');
        if (key.equals("CONTENT_TYPE") || key.equals("CONTENT_LENGTH")) {
            return env.get(key);
        }
        return env.get("HTTP_" + key);
    }

    /** The whole environment the host passed (request metadata and the function's env). */
    public Map<String, String> getEnvironment() {
        return Collections.unmodifiableMap(env);
    }

    private static Map<String, String> parseQuery(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw.isEmpty()) {
            return out;
        }
        // indexOf, not split: String.split would link TeaVM's regex engine into every function.
        for (int start = 0; start <= raw.length(); ) {
            int amp = raw.indexOf('&', start);
            int end = amp < 0 ? raw.length() : amp;
            String pair = raw.substring(start, end);
            start = end + 1;
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = decode(eq < 0 ? pair : pair.substring(0, eq));
            String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
            out.putIfAbsent(k, v);
        }
        return out;
    }

    /** Percent-decoding as UTF-8, '+' as a space; a malformed escape stays as it is. */
    static String decode(String s) {
        byte[] out = new byte[s.length() * 3];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                out[n++] = ' ';
            } else if (c == '%' && i + 2 < s.length()
                    && hex(s.charAt(i + 1)) >= 0
                    && hex(s.charAt(i + 2)) >= 0) {
                out[n++] = (byte) (hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
                i += 2;
            } else {
                byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
                    utf8 = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
                    i++;
                }
                System.arraycopy(utf8, 0, out, n, utf8.length);
                n += utf8.length;
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }
}
