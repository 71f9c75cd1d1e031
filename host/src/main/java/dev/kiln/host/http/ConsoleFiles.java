package dev.kiln.host.http;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.core.Sha256;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The web console's static files, {@code GET /console/…} (docs/adr/0046): ES modules, CSS and the
 * vendored chart library, read from this jar's resources under {@value #RESOURCES}. They hold no
 * data, so no key is asked for; everything the console shows comes from {@code /api/v1} with the
 * user's key. {@code /console} redirects to {@code /console/}, and {@code /} to the console.
 *
 * <p>A name is served only if every segment of the raw (undecoded) path is plain — letters, digits,
 * {@code . _ -}, not starting with a dot — and its extension has a known content type: {@code ..},
 * percent-encoding ({@code %2e%2e}, {@code %2f}) and backslashes are refused with {@code
 * bad_request} before any lookup, so no request can name a resource outside the console's folder.
 */
final class ConsoleFiles {
    static final String PREFIX = "/console/";
    static final String RESOURCES = "dev/kiln/host/console/";

    /** Scripts, styles, images and connections from this origin only; no frames, no plugins. */
    static final String CONTENT_SECURITY_POLICY =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                    + " connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self';"
                    + " frame-ancestors 'none'";

    private static final int MAX_PATH_LENGTH = 200;
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}");
    private static final Map<String, String> TYPES =
            Map.of(
                    "html", "text/html; charset=utf-8",
                    "js", "text/javascript; charset=utf-8",
                    "css", "text/css; charset=utf-8",
                    "svg", "image/svg+xml",
                    "png", "image/png",
                    "ico", "image/x-icon",
                    "json", "application/json",
                    "txt", "text/plain; charset=utf-8");
    private static final HttpString CSP = new HttpString("Content-Security-Policy");
    private static final HttpString NOSNIFF = new HttpString("X-Content-Type-Options");
    private static final HttpString REFERRER = new HttpString("Referrer-Policy");
    private static final HttpString FRAME = new HttpString("X-Frame-Options");

    /** A file as served: its bytes, content type and entity tag (its content's hash). */
    private record StaticFile(byte[] bytes, String contentType, String etag) {}

    private final ClassLoader loader = ConsoleFiles.class.getClassLoader();
    // Only files that exist are kept, so the map holds at most the console's files.
    private final Map<String, StaticFile> files = new ConcurrentHashMap<>();

    /** Whether this request is the console's: {@code /}, {@code /console} or under it. */
    static boolean handles(String path) {
        return path.equals("/") || path.equals("/console") || path.startsWith(PREFIX);
    }

    void handleRequest(HttpServerExchange exchange) {
        // On every answer, refusals included.
        securityHeaders(exchange);
        String path = exchange.getRequestPath();
        if (path.equals("/") || path.equals("/console")) {
            redirect(exchange, path.equals("/") ? 302 : 301);
            return;
        }
        String name = name(HttpTriggerHandler.rawPath(exchange));
        boolean head = exchange.getRequestMethod().equals(Methods.HEAD);
        if (!head && !exchange.getRequestMethod().equals(Methods.GET)) {
            throw new KilnException(ErrorCode.METHOD_NOT_ALLOWED, "the console is read with GET");
        }
        StaticFile cached = files.get(name);
        if (cached != null) {
            send(exchange, cached, head);
            return;
        }
        // Reading a resource may touch the jar on disk: not on the IO thread.
        ErrorBoundary.dispatch(
                exchange,
                () -> {
                    StaticFile file =
                            load(name)
                                    .orElseThrow(
                                            () ->
                                                    new KilnException(
                                                            ErrorCode.NOT_FOUND,
                                                            "no such console file"));
                    files.putIfAbsent(name, file);
                    send(exchange, file, head);
                });
    }

    /**
     * The resource name a raw request path asks for ({@code index.html} for the folder itself).
     *
     * @throws KilnException {@code bad_request} for anything but plain segments
     */
    static String name(String rawPath) {
        int query = rawPath.indexOf('?');
        String raw = query < 0 ? rawPath : rawPath.substring(0, query);
        if (!raw.startsWith(PREFIX) || raw.length() > MAX_PATH_LENGTH) {
            throw refused();
        }
        String rest = raw.substring(PREFIX.length());
        if (rest.isEmpty()) {
            return "index.html";
        }
        for (String segment : rest.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches()) {
                throw refused();
            }
        }
        return rest;
    }

    private static KilnException refused() {
        return new KilnException(
                ErrorCode.BAD_REQUEST,
                "console paths are plain names: letters, digits, '.', '_', '-' and '/' only,"
                        + " no '..', no percent-encoding, no backslash");
    }

    private Optional<StaticFile> load(String name) throws IOException {
        int dot = name.lastIndexOf('.');
        String type = dot < 0 ? null : TYPES.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
        if (type == null) {
            return Optional.empty();
        }
        try (InputStream in = loader.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] bytes = in.readAllBytes();
            String etag = "\"" + Sha256.hex(bytes).substring(0, 32) + "\"";
            return Optional.of(new StaticFile(bytes, type, etag));
        }
    }

    private static void send(HttpServerExchange exchange, StaticFile file, boolean head) {
        var headers = exchange.getResponseHeaders();
        headers.put(Headers.ETAG, file.etag());
        // The files change with the jar: the browser may keep them but asks each time (304).
        headers.put(Headers.CACHE_CONTROL, "no-cache");
        String match = exchange.getRequestHeaders().getFirst(Headers.IF_NONE_MATCH);
        if (file.etag().equals(match)) {
            exchange.setStatusCode(304);
            exchange.endExchange();
            return;
        }
        headers.put(Headers.CONTENT_TYPE, file.contentType());
        headers.put(Headers.CONTENT_LENGTH, file.bytes().length);
        exchange.setStatusCode(200);
        if (head) {
            exchange.endExchange();
        } else {
            exchange.getResponseSender().send(ByteBuffer.wrap(file.bytes()));
        }
    }

    private static void redirect(HttpServerExchange exchange, int status) {
        exchange.getResponseHeaders().put(Headers.LOCATION, PREFIX);
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache");
        exchange.setStatusCode(status);
        exchange.endExchange();
    }

    private static void securityHeaders(HttpServerExchange exchange) {
        var headers = exchange.getResponseHeaders();
        headers.put(CSP, CONTENT_SECURITY_POLICY);
        headers.put(NOSNIFF, "nosniff");
        headers.put(REFERRER, "no-referrer");
        headers.put(FRAME, "DENY");
    }
}
