package dev.kiln.host.sandbox;

import dev.kiln.abi.Header;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.abi.InvocationContext;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The environment of a wasi-cgi invocation: the function's config, then the CGI/1.1 variables of
 * RFC 3875 and Kiln's own {@code KILN_*} ones (these win over config keys of the same name, so
 * request metadata is always what the host saw).
 */
final class CgiEnvironment {
    static final String SERVER_SOFTWARE = "Kiln";

    private CgiEnvironment() {}

    static Map<String, String> of(InvocationContext context, int contentLength) {
        // Sorted: the environment's order is the same on every run and every host, so a replay
        // (docs/adr/0041) hands the guest the very bytes it had.
        Map<String, String> env = new LinkedHashMap<>(new java.util.TreeMap<>(context.config()));
        String scriptName = "/fn/" + context.service() + "/" + context.function();
        env.put("GATEWAY_INTERFACE", "CGI/1.1");
        env.put("SERVER_SOFTWARE", SERVER_SOFTWARE);
        env.put("SCRIPT_NAME", scriptName);
        HttpRequestMeta http = context.http();
        if (http == null) {
            // An event: a POST of the event bytes to the function itself, with no HTTP metadata.
            env.put("REQUEST_METHOD", "POST");
            env.put("PATH_INFO", "");
            env.put("QUERY_STRING", "");
            env.put("SERVER_PROTOCOL", "HTTP/1.1");
        } else {
            env.put("REQUEST_METHOD", http.method());
            env.put("PATH_INFO", decodePath(http.path()));
            env.put("QUERY_STRING", http.query());
            env.put("SERVER_PROTOCOL", http.protocol());
            env.put(
                    "REQUEST_URI",
                    scriptName + http.path() + (http.query().isEmpty() ? "" : "?" + http.query()));
            if (!http.remoteAddress().isEmpty()) {
                env.put("REMOTE_ADDR", http.remoteAddress());
            }
            putServerNameAndPort(env, http);
            putContentType(env, http);
            putHeaders(env, http);
        }
        if (contentLength > 0) {
            env.put("CONTENT_LENGTH", Integer.toString(contentLength));
        }
        env.put("KILN_REQUEST_ID", context.requestId());
        env.put("KILN_SERVICE", context.service());
        env.put("KILN_FUNCTION", context.function());
        env.put("KILN_VERSION", context.version());
        env.put("KILN_TRIGGER", context.trigger());
        env.put("KILN_DEADLINE_MS", Long.toString(context.deadlineEpochMillis()));
        return env;
    }

    private static void putContentType(Map<String, String> env, HttpRequestMeta http) {
        for (Header h : http.headers()) {
            if (h.name().equals("content-type")) {
                env.put("CONTENT_TYPE", h.value());
                return;
            }
        }
    }

    /**
     * {@code HTTP_<NAME>} per request header, repeated values joined with ", ". Dropped: the two
     * that have variables of their own, {@code Proxy} (it would become {@code HTTP_PROXY}, which
     * many HTTP clients obey: "httpoxy"), and names with characters other than letters, digits and
     * '-', so that {@code X_User} can never pose as {@code X-User}.
     */
    private static void putHeaders(Map<String, String> env, HttpRequestMeta http) {
        for (Header h : http.headers()) {
            String name = h.name();
            if (name.equals("content-type")
                    || name.equals("content-length")
                    || name.equals("proxy")
                    || !isPlainName(name)) {
                continue;
            }
            String key = "HTTP_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
            String separator = name.equals("cookie") ? "; " : ", ";
            env.merge(key, h.value(), (a, b) -> a + separator + b);
        }
    }

    private static boolean isPlainName(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok =
                    (c >= 'a' && c <= 'z')
                            || (c >= 'A' && c <= 'Z')
                            || (c >= '0' && c <= '9')
                            || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** SERVER_NAME and SERVER_PORT from the Host header, when there is one. */
    private static void putServerNameAndPort(Map<String, String> env, HttpRequestMeta http) {
        String host = null;
        for (Header h : http.headers()) {
            if (h.name().equals("host")) {
                host = h.value().trim();
                break;
            }
        }
        if (host == null || host.isEmpty()) {
            return;
        }
        String name = host;
        String port = "80";
        int close = host.lastIndexOf(']');
        int colon = host.lastIndexOf(':');
        if (colon > close && colon > 0) {
            name = host.substring(0, colon);
            port = host.substring(colon + 1);
        }
        env.put("SERVER_NAME", name);
        env.put("SERVER_PORT", port);
    }

    /**
     * RFC 3875 gives PATH_INFO decoded. Percent-escapes are decoded as UTF-8; a path that does not
     * decode to valid UTF-8 without NUL is passed as it came (REQUEST_URI always holds it raw).
     */
    static String decodePath(String raw) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return raw;
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                    return raw;
                }
                out.write(hi * 16 + lo);
                i += 2;
            } else if (c < 0x80) {
                out.write(c);
            } else {
                return raw; // request targets are ASCII; anything else is passed untouched
            }
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(out.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            return raw;
        }
    }
}
