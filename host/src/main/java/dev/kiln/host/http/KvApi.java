package dev.kiln.host.http;

import dev.kiln.abi.KvBucket;
import dev.kiln.abi.KvException;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.kv.KvEntry;
import dev.kiln.host.kv.KvStore;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code /api/v1/services/{service}/kv}: a service's key-value store for its operators (docs/adr/
 * 0039). {@code GET …/kv?prefix=&after=&limit=} lists keys a page at a time; {@code GET}, {@code
 * PUT} (raw body, {@code ?ttlMs=}) and {@code DELETE …/kv/{key}} read and edit one. The key is the
 * rest of the path, percent-decoded, so it may hold {@code /} as {@code %2F}.
 */
final class KvApi {
    /** Most keys one list page holds. */
    static final int MAX_PAGE = 1000;

    private static final int DEFAULT_PAGE = 100;
    private static final String LIST = "/api/v1/services/{service}/kv";
    private static final String KEY = LIST + "/{key}";
    static final HttpString EXPIRES_AT = new HttpString("X-Kiln-Kv-Expires-At");

    private final KvStore store;

    KvApi(KvStore store) {
        this.store = store;
    }

    RoutingHandler addTo(RoutingHandler routes) {
        return routes.get(LIST, blocking(this::list))
                .get(KEY, blocking(this::get))
                .put(KEY, this::put)
                .delete(KEY, blocking(this::delete));
    }

    /** One listed key; {@code expiresAt} null when it never expires. */
    record KeyView(String key, Instant expiresAt) {}

    /** A page of keys; {@code next} is the {@code after} of the next page, null after the last. */
    record Page(String service, List<KeyView> keys, String next) {}

    private void list(HttpServerExchange ex) {
        String service = PathParams.service(ex);
        byte[] prefix = bytes(QueryParams.first(ex, "prefix"));
        byte[] after = bytes(QueryParams.first(ex, "after"));
        if (prefix.length > KvBucket.MAX_KEY_BYTES || after.length > KvBucket.MAX_KEY_BYTES) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST,
                    "prefix and after are at most " + KvBucket.MAX_KEY_BYTES + " bytes");
        }
        int limit = limit(ex);
        List<KvEntry> entries = run(() -> store.keys(service, prefix, after, limit));
        List<KeyView> keys = new ArrayList<>();
        for (KvEntry e : entries) {
            keys.add(new KeyView(text(e.key()), instant(e.expiresAtMillis())));
        }
        String next = keys.size() == limit ? keys.getLast().key() : null;
        Responses.json(ex, 200, new Page(service, keys, next));
    }

    private void get(HttpServerExchange ex) {
        String service = PathParams.service(ex);
        byte[] key = key(ex);
        KvEntry entry =
                run(() -> store.entry(service, key))
                        .orElseThrow(
                                () ->
                                        new KilnException(
                                                ErrorCode.KV_KEY_NOT_FOUND,
                                                "no such key in service " + service));
        ex.setStatusCode(200);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/octet-stream");
        if (entry.expiresAtMillis() != 0) {
            ex.getResponseHeaders()
                    .put(EXPIRES_AT, Instant.ofEpochMilli(entry.expiresAtMillis()).toString());
        }
        ex.getResponseSender().send(ByteBuffer.wrap(entry.value()));
    }

    private void put(HttpServerExchange exchange) {
        String service = PathParams.service(exchange);
        byte[] key = key(exchange);
        long ttl = ttl(exchange);
        Bodies.read(
                exchange,
                KvBucket.MAX_VALUE_BYTES,
                (ex, body) ->
                        ex.dispatch(
                                () ->
                                        ErrorBoundary.run(
                                                ex,
                                                () -> {
                                                    run(
                                                            () -> {
                                                                store.put(service, key, body, ttl);
                                                                return null;
                                                            });
                                                    ex.setStatusCode(204);
                                                    ex.endExchange();
                                                })));
    }

    private void delete(HttpServerExchange ex) {
        String service = PathParams.service(ex);
        byte[] key = key(ex);
        if (!run(() -> store.remove(service, key))) {
            throw new KilnException(
                    ErrorCode.KV_KEY_NOT_FOUND, "no such key in service " + service);
        }
        ex.setStatusCode(204);
        ex.endExchange();
    }

    /** Runs a store call, turning its refusals into the API's error codes. */
    private <T> T run(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (KvException e) {
            throw switch (e.kind()) {
                case LIMIT ->
                        new KilnException(
                                ErrorCode.CONFLICT,
                                "the service's key-value store is full: at most "
                                        + store.limits().maxKeysPerService()
                                        + " keys and "
                                        + store.limits().maxBytesPerService()
                                        + " bytes");
                case INVALID -> new KilnException(ErrorCode.BAD_REQUEST, "invalid value");
                case UNAVAILABLE ->
                        new KilnException(
                                ErrorCode.SERVER_BUSY, "the key-value store cannot serve now");
            };
        }
    }

    /** The key: the raw path after {@code /kv/}, percent-decoded (Undertow keeps {@code %2F}). */
    private static byte[] key(HttpServerExchange ex) {
        String uri = ex.getRequestURI();
        int at = uri.indexOf("/kv/");
        String raw = at < 0 ? "" : uri.substring(at + 4);
        String decoded;
        try {
            decoded = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new KilnException(ErrorCode.BAD_REQUEST, "the key is not percent-encoded");
        }
        byte[] key = decoded.getBytes(StandardCharsets.UTF_8);
        if (!KvBucket.validKey(key)) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST,
                    "a key is 1 to "
                            + KvBucket.MAX_KEY_BYTES
                            + " bytes of UTF-8 text without control characters");
        }
        return key;
    }

    private static long ttl(HttpServerExchange ex) {
        String v = QueryParams.first(ex, "ttlMs");
        if (v == null) {
            return 0;
        }
        try {
            long ttl = Long.parseLong(v);
            if (ttl < 1) {
                throw new NumberFormatException();
            }
            return ttl;
        } catch (NumberFormatException e) {
            throw new KilnException(ErrorCode.BAD_REQUEST, "ttlMs must be a positive integer");
        }
    }

    private static int limit(HttpServerExchange ex) {
        return QueryParams.intFromOne(ex, "limit", DEFAULT_PAGE, MAX_PAGE);
    }

    private static byte[] bytes(String s) {
        return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static Instant instant(long millis) {
        return millis == 0 ? null : Instant.ofEpochMilli(millis);
    }

    private static HttpHandler blocking(HttpHandler handler) {
        return exchange ->
                exchange.dispatch(
                        () -> ErrorBoundary.run(exchange, () -> handler.handleRequest(exchange)));
    }
}
