package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Custom-domain routes (docs/adr/0038) over real sockets: requests carry their own {@code Host}
 * header, so they are written on a raw socket (java.net.http will not set one).
 */
class RoutesTest {
    static final int MAX_ROUTES = 12;

    @TempDir Path data;
    TestHost kiln;

    @BeforeEach
    void start() {
        kiln = startHost();
        for (String f : List.of("api", "site", "wild", "deep", "other")) {
            assertThat(kiln.deploy("shop", f, Wat.fixture("route_probe")).statusCode())
                    .isEqualTo(201);
            assertThat(kiln.patch("shop", f, "{\"env\":{\"tag\":\"" + f + "\"}}").statusCode())
                    .isEqualTo(200);
        }
    }

    private TestHost startHost() {
        return TestHost.start(data, b -> b.maxRoutes(MAX_ROUTES));
    }

    @AfterEach
    void stop() {
        kiln.close();
    }

    @Test
    void aRoutedRequestReachesItsFunctionWithThePathAfterThePrefixAndTheQueryKept()
            throws IOException {
        var created = putRoute("shop-api", "shop.example.com", "/api", "api", null);
        assertThat(created.statusCode()).as(text(created)).isEqualTo(201);
        assertThat(json(created).path("qualifier").asText()).isEqualTo("LATEST");
        assertThat(json(created).path("host").asText()).isEqualTo("shop.example.com");
        assertThat(putRoute("shop-site", "shop.example.com", "/", "site", null).statusCode())
                .isEqualTo(201);

        assertThat(probe("shop.example.com", "/api/users/7?x=1&y=%20"))
                .isEqualTo("api\n/users/7\nx=1&y=%20\n");
        assertThat(probe("shop.example.com", "/api")).isEqualTo("api\n/\n\n");
        assertThat(probe("shop.example.com", "/api/")).isEqualTo("api\n/\n\n");
        // Whole segments only: /apix is not under /api.
        assertThat(probe("shop.example.com", "/apix")).isEqualTo("site\n/apix\n\n");
        assertThat(probe("shop.example.com", "/")).isEqualTo("site\n/\n\n");
        // The Host's port and case, and a trailing dot, do not matter.
        assertThat(probe("SHOP.Example.COM.:8443", "/api/a")).isEqualTo("api\n/a\n\n");
        // On a route's host, the route wins over Kiln's own paths.
        assertThat(probe("shop.example.com", "/healthz")).isEqualTo("site\n/healthz\n\n");
        assertThat(probe("shop.example.com", "/api/v1/limits")).isEqualTo("api\n/v1/limits\n\n");

        var list = json(kiln.get("/api/v1/routes")).path("routes");
        assertThat(list).hasSize(2);
        assertThat(list.get(0).path("id").asText()).isEqualTo("shop-api");
        assertThat(list.get(0).path("pathPrefix").asText()).isEqualTo("/api");
        assertThat(list.get(1).path("service").asText()).isEqualTo("shop");
        var one = kiln.get("/api/v1/routes/shop-site");
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(json(one).path("function").asText()).isEqualTo("site");
    }

    @Test
    void kilnsOwnPathsKeepWorkingForEveryOtherHost() throws IOException {
        assertThat(putRoute("all", "shop.example.com", "/", "site", null).statusCode())
                .isEqualTo(201);
        assertThat(putRoute("wild", "*.example.com", "/", "wild", null).statusCode())
                .isEqualTo(201);
        for (String host : List.of("127.0.0.1", "localhost:8080", "example.com", "kiln.internal")) {
            assertThat(raw(host, "GET /healthz").status()).as(host).isEqualTo(200);
            var limits = raw(host, "GET /api/v1/limits", "Authorization: Bearer " + TestHost.TOKEN);
            assertThat(limits.status()).as(host).isEqualTo(200);
            assertThat(limits.text()).contains("\"maxRoutes\":" + MAX_ROUTES);
            assertThat(
                            raw(host, "GET /metrics", "Authorization: Bearer " + TestHost.TOKEN)
                                    .status())
                    .isEqualTo(200);
            assertThat(body(raw(host, "GET /fn/shop/api/x?q"))).isEqualTo("api\n/x\nq\n");
            var none = raw(host, "GET /nowhere");
            assertThat(none.status()).isEqualTo(404);
            assertThat(none.errorCode()).isEqualTo("not_found");
        }
        // A path outside every prefix of a route's host goes on to Kiln's own surface too.
        assertThat(putRoute("all", "shop.example.com", "/shop", "site", null).statusCode())
                .isEqualTo(200);
        assertThat(raw("shop.example.com", "GET /healthz").status()).isEqualTo(200);
        assertThat(probe("shop.example.com", "/shop/cart")).isEqualTo("site\n/cart\n\n");
    }

    @Test
    void longestPrefixWinsThenExactHostThenTheLongerWildcard() throws IOException {
        assertThat(putRoute("exact-root", "shop.example.com", "/", "site", null).statusCode())
                .isEqualTo(201);
        assertThat(putRoute("wild-api", "*.example.com", "/api", "wild", null).statusCode())
                .isEqualTo(201);
        assertThat(putRoute("exact-v2", "shop.example.com", "/api/v2", "api", null).statusCode())
                .isEqualTo(201);
        assertThat(putRoute("deep-api", "*.shop.example.com", "/api", "deep", null).statusCode())
                .isEqualTo(201);
        // The wildcard's longer prefix beats the exact host's "/".
        assertThat(probe("shop.example.com", "/api/x")).isEqualTo("wild\n/x\n\n");
        assertThat(probe("shop.example.com", "/api/v2/x")).isEqualTo("api\n/x\n\n");
        assertThat(probe("shop.example.com", "/other")).isEqualTo("site\n/other\n\n");
        // One label or more in front of the wildcard's suffix; never the suffix itself.
        assertThat(probe("a.example.com", "/api")).isEqualTo("wild\n/\n\n");
        assertThat(probe("a.b.c.example.com", "/api/z")).isEqualTo("wild\n/z\n\n");
        // Not routed: they go on to Kiln's own /api/, which wants a key.
        assertThat(raw("example.com", "GET /api/x").errorCode()).isEqualTo("unauthorized");
        assertThat(raw("badexample.com", "GET /api/x").errorCode()).isEqualTo("unauthorized");
        // Equal prefixes: *.shop.example.com is more specific than *.example.com.
        assertThat(probe("x.shop.example.com", "/api/q")).isEqualTo("deep\n/q\n\n");
        // Equal prefixes: the exact host beats a wildcard.
        assertThat(putRoute("exact-api", "shop.example.com", "/api", "other", null).statusCode())
                .isEqualTo(201);
        assertThat(probe("shop.example.com", "/api/x")).isEqualTo("other\n/x\n\n");
        assertThat(probe("www.example.com", "/api/x")).isEqualTo("wild\n/x\n\n");
    }

    @Test
    void aRouteChangeTakesEffectOnTheNextRequestOnTheSameConnection() throws IOException {
        assertThat(putRoute("r", "shop.example.com", "/app", "api", null).statusCode())
                .isEqualTo(201);
        try (var conn = new RawExchange(kiln.host().port())) {
            assertThat(body(next(conn, "shop.example.com", "/app/1"))).isEqualTo("api\n/1\n\n");
            assertThat(putRoute("r", "shop.example.com", "/app", "site", null).statusCode())
                    .isEqualTo(200);
            assertThat(body(next(conn, "shop.example.com", "/app/2"))).isEqualTo("site\n/2\n\n");
            assertThat(putRoute("r", "shop.example.com", "/new", "site", null).statusCode())
                    .isEqualTo(200);
            var old = next(conn, "shop.example.com", "/app/3");
            assertThat(old.status()).isEqualTo(404);
            assertThat(old.errorCode()).isEqualTo("not_found");
            assertThat(body(next(conn, "shop.example.com", "/new/4"))).isEqualTo("site\n/4\n\n");
            assertThat(kiln.send(kiln.admin("/api/v1/routes/r").DELETE().build()).statusCode())
                    .isEqualTo(204);
            assertThat(next(conn, "shop.example.com", "/new/5").status()).isEqualTo(404);
        }
        var gone = kiln.get("/api/v1/routes/r");
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(errorCode(gone)).isEqualTo("route_not_found");
        var deleteAgain = kiln.send(kiln.admin("/api/v1/routes/r").DELETE().build());
        assertThat(deleteAgain.statusCode()).isEqualTo(404);
        assertThat(errorCode(deleteAgain)).isEqualTo("route_not_found");
    }

    @Test
    void routesSurviveARestart() throws IOException {
        assertThat(putRoute("keep", "*.example.org", "/v1", "api", "LATEST").statusCode())
                .isEqualTo(201);
        assertThat(putRoute("prod", "shop.example.org", "/", "site", "prod").statusCode())
                .isEqualTo(201);
        kiln.close();
        kiln = startHost();
        var list = json(kiln.get("/api/v1/routes")).path("routes");
        assertThat(list).hasSize(2);
        assertThat(list.get(1).path("qualifier").asText()).isEqualTo("prod");
        assertThat(probe("a.example.org", "/v1/x")).isEqualTo("api\n/x\n\n");
    }

    @Test
    void conflictsAndTheRouteLimitAre409AndReplacingStillWorks() throws IOException {
        assertThat(putRoute("one", "shop.example.com", "/api", "api", null).statusCode())
                .isEqualTo(201);
        var clash = putRoute("two", "SHOP.example.com", "/api", "site", null);
        assertThat(clash.statusCode()).isEqualTo(409);
        assertThat(errorCode(clash)).isEqualTo("conflict");
        assertThat(text(clash)).contains("'one'");
        // Same id, same place: a replacement, not a conflict.
        assertThat(putRoute("one", "shop.example.com", "/api", "site", "7").statusCode())
                .isEqualTo(200);
        // A wildcard and an exact host, or another prefix, do not clash.
        assertThat(putRoute("two", "*.shop.example.com", "/api", "site", null).statusCode())
                .isEqualTo(201);
        for (int i = 3; i <= MAX_ROUTES; i++) {
            assertThat(putRoute("r" + i, "h" + i + ".example.com", "/", "api", null).statusCode())
                    .isEqualTo(201);
        }
        var over = putRoute("one-more", "more.example.com", "/", "api", null);
        assertThat(over.statusCode()).isEqualTo(409);
        assertThat(errorCode(over)).isEqualTo("conflict");
        assertThat(text(over)).contains("--max-routes");
        assertThat(putRoute("r3", "h3.example.com", "/x", "site", null).statusCode())
                .isEqualTo(200);
        assertThat(json(kiln.get("/api/v1/routes")).path("routes")).hasSize(MAX_ROUTES);
        assertThat(probe("h" + MAX_ROUTES + ".example.com", "/z")).isEqualTo("api\n/z\n\n");
        assertThat(probe("h3.example.com", "/x/y")).isEqualTo("site\n/y\n\n");
    }

    @Test
    void badInputIs400NamingTheFieldAndTheHostStillServes() throws IOException {
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        String longLabel = "a".repeat(64);
        String longHost = "abcdefghi.".repeat(26) + "com"; // 263 characters
        bad.put(
                "{\"host\":\""
                        + longHost
                        + "\",\"pathPrefix\":\"/\",\"service\":\"shop\",\"function\":\"api\"}",
                "host:");
        bad.put(route(longLabel + ".example.com", "/"), "host:");
        bad.put(route("*.com", "/"), "host:");
        bad.put(route("*", "/"), "host:");
        bad.put(route("a.*.example.com", "/"), "host:");
        bad.put(route("**.example.com", "/"), "host:");
        bad.put(route("shop.example.com:8080", "/"), "host:");
        bad.put(route("shop.example.com.", "/"), "host:");
        bad.put(route("shop_1.example.com", "/"), "host:");
        bad.put(route("-shop.example.com", "/"), "host:");
        bad.put(route("127.0.0.1", "/"), "host:");
        bad.put(route("localhost", "/"), "host:");
        bad.put(route("[::1]", "/"), "host:");
        bad.put(route("", "/"), "host:");
        bad.put(route("shop.example.com", "api"), "pathPrefix:");
        bad.put(route("shop.example.com", ""), "pathPrefix:");
        bad.put(route("shop.example.com", "/a/../b"), "pathPrefix:");
        bad.put(route("shop.example.com", "/a/./b"), "pathPrefix:");
        bad.put(route("shop.example.com", "/.."), "pathPrefix:");
        bad.put(route("shop.example.com", "/a//b"), "pathPrefix:");
        bad.put(route("shop.example.com", "/a/"), "pathPrefix:");
        bad.put(route("shop.example.com", "/%61pi"), "pathPrefix:");
        bad.put(route("shop.example.com", "/a%2F..%2Fb"), "pathPrefix:");
        bad.put(route("shop.example.com", "/a?b=1"), "pathPrefix:");
        bad.put(route("shop.example.com", "/a#b"), "pathPrefix:");
        bad.put(route("shop.example.com", "/a b"), "pathPrefix:");
        bad.put(route("shop.example.com", "/é"), "pathPrefix:");
        bad.put(route("shop.example.com", "/" + "a".repeat(1024)), "pathPrefix:");
        bad.put(
                "{\"host\":\"a.example.com\",\"pathPrefix\":\"/\",\"function\":\"api\"}",
                "service:");
        bad.put(
                "{\"host\":\"a.example.com\",\"pathPrefix\":\"/\",\"service\":\"Shop\",\"function\":\"api\"}",
                "service:");
        bad.put(
                "{\"host\":\"a.example.com\",\"pathPrefix\":\"/\",\"service\":\"shop\"}",
                "function:");
        for (String q : List.of("0", "01", "-1", "99999999999", "a b", "1.5", "")) {
            bad.put(
                    "{\"host\":\"a.example.com\",\"pathPrefix\":\"/\",\"service\":\"shop\","
                            + "\"function\":\"api\",\"qualifier\":\""
                            + q
                            + "\"}",
                    "qualifier:");
        }
        bad.put(
                "{\"host\":\"a.example.com\",\"pathPrefix\":\"/\",\"service\":\"shop\",\"function\":\"api\",\"qualifier\":3}",
                "qualifier:");
        bad.put(
                "{\"host\":7,\"pathPrefix\":\"/\",\"service\":\"shop\",\"function\":\"api\"}",
                "host:");
        bad.put(
                "{\"host\":\"a.example.com\",\"pathPrefix\":\"/\",\"service\":\"shop\",\"function\":\"api\",\"weight\":1}",
                "weight:");
        bad.put(
                "{\"id\":\"other\",\"host\":\"a.example.com\",\"pathPrefix\":\"/\",\"service\":\"shop\",\"function\":\"api\"}",
                "id:");
        bad.put("[1,2]", "the route must be a JSON object");
        bad.put("not json", "body is not valid JSON");
        for (var e : bad.entrySet()) {
            var r = kiln.sendJson("PUT", "/api/v1/routes/x", e.getKey());
            assertThat(r.statusCode()).as(e.getKey()).isEqualTo(400);
            assertThat(errorCode(r)).isEqualTo("bad_request");
            assertThat(json(r).path("error").path("message").asText())
                    .as(e.getKey())
                    .startsWith(e.getValue());
        }
        for (String id : List.of("UPPER", "-x", "a".repeat(64), "a.b")) {
            var r = kiln.sendJson("PUT", "/api/v1/routes/" + id, route("a.example.com", "/"));
            assertThat(r.statusCode()).as(id).isEqualTo(400);
            assertThat(text(r)).contains("id:");
        }
        var big =
                kiln.sendJson(
                        "PUT",
                        "/api/v1/routes/x",
                        "{\"host\":\"" + "a".repeat(RoutesApi.MAX_BODY_BYTES) + "\"}");
        assertThat(big.statusCode()).isEqualTo(413);
        assertThat(errorCode(big)).isEqualTo("payload_too_large");
        assertThat(json(kiln.get("/api/v1/routes")).path("routes")).isEmpty();
        // Nothing was stored, and the host serves.
        assertThat(kiln.get("/healthz").statusCode()).isEqualTo(200);
        assertThat(putRoute("ok", "a.example.com", "/a-b_c~d/e:f@g", "api", null).statusCode())
                .isEqualTo(201);
        assertThat(probe("a.example.com", "/a-b_c~d/e:f@g/h")).isEqualTo("api\n/h\n\n");
    }

    @Test
    void hostileRequestsAreNotRoutedAndTheHostStillServes() throws IOException {
        assertThat(putRoute("shop", "shop.example.com", "/shop", "api", null).statusCode())
                .isEqualTo(201);
        // Percent-encoding never matches a prefix: the request goes on to Kiln (404).
        var encoded = raw("shop.example.com", "GET /%73hop/x");
        assertThat(encoded.status()).isEqualTo(404);
        assertThat(encoded.errorCode()).isEqualTo("not_found");
        // Dot segments after the prefix reach the guest as sent, as on /fn/.
        assertThat(probe("shop.example.com", "/shop/%2e%2e/x")).isEqualTo("api\n/%2e%2e/x\n\n");
        assertThat(probe("shop.example.com", "/shop/../x")).isEqualTo("api\n/../x\n\n");
        // A Host far longer than any DNS name, and one that is empty, match nothing.
        var longHost = raw("shop.example.com" + ".x".repeat(5000), "GET /shop/x");
        assertThat(longHost.status()).isEqualTo(404);
        assertThat(raw("", "GET /shop/x").status()).isEqualTo(404);
        assertThat(raw("[::1]:80", "GET /shop/x").status()).isEqualTo(404);
        // An absolute-form target: its authority is the host.
        try (var conn = new RawExchange(kiln.host().port())) {
            conn.send(
                    "GET http://shop.example.com/shop/abs?q=1 HTTP/1.1\r\n"
                            + "Host: shop.example.com\r\n"
                            + "Connection: close\r\n\r\n");
            var abs = conn.readUntilClosed(10_000);
            assertThat(body(abs)).as(abs.text()).isEqualTo("api\n/abs\nq=1\n");
        }
        // CONNECT is refused on a route as on /fn/.
        var connect = raw("shop.example.com", "CONNECT /shop/x");
        assertThat(connect.status()).isEqualTo(405);
        assertThat(connect.errorCode()).isEqualTo("method_not_allowed");
        assertThat(kiln.get("/healthz").statusCode()).isEqualTo(200);
        assertThat(probe("shop.example.com", "/shop/ok")).isEqualTo("api\n/ok\n\n");
    }

    @Test
    void theFunctionsHttpAuthStillAppliesAndUnknownTargetsAre404() throws IOException {
        assertThat(kiln.patch("shop", "api", "{\"httpAuth\":\"key\"}").statusCode()).isEqualTo(200);
        assertThat(putRoute("api", "shop.example.com", "/api", "api", null).statusCode())
                .isEqualTo(201);
        var none = raw("shop.example.com", "GET /api/x");
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.errorCode()).isEqualTo("unauthorized");
        String viewer = kiln.createKey("v", "viewer", List.of("shop"));
        assertThat(
                        raw("shop.example.com", "GET /api/x", "Authorization: Bearer " + viewer)
                                .status())
                .isEqualTo(403);
        String invoker = kiln.createKey("i", "invoker", List.of("shop"));
        var ok = raw("shop.example.com", "GET /api/x", "Authorization: Bearer " + invoker);
        assertThat(body(ok)).isEqualTo("api\n/x\n\n");

        // A route may name a function that does not exist (yet): its requests are 404.
        assertThat(putRoute("ghost", "ghost.example.com", "/", "nope", null).statusCode())
                .isEqualTo(201);
        var ghost = raw("ghost.example.com", "GET /x");
        assertThat(ghost.status()).isEqualTo(404);
        assertThat(ghost.errorCode()).isEqualTo("function_not_found");
        // A qualifier is resolved per request (docs/adr/0037): an alias that does not exist
        // yet is 404; once it does, the route runs the version it points at (2: the env PATCH
        // above made it).
        assertThat(putRoute("prod", "prod.example.com", "/", "site", "prod").statusCode())
                .isEqualTo(201);
        var prod = raw("prod.example.com", "GET /x");
        assertThat(prod.status()).isEqualTo(404);
        assertThat(prod.errorCode()).isEqualTo("alias_not_found");
        assertThat(
                        kiln.sendJson(
                                        "PUT",
                                        "/api/v1/services/shop/functions/site/aliases/prod",
                                        "{\"version\": 2}")
                                .statusCode())
                .isEqualTo(201);
        assertThat(probe("prod.example.com", "/x")).isEqualTo("site\n/x\n\n");
        assertThat(putRoute("latest", "latest.example.com", "/", "site", "LATEST").statusCode())
                .isEqualTo(201);
        assertThat(probe("latest.example.com", "/x")).isEqualTo("site\n/x\n\n");
    }

    @Test
    void routesAreForAdminsOnly() {
        String developer = kiln.createKey("d", "developer", null);
        String viewer = kiln.createKey("v", "viewer", null);
        for (String key : List.of(developer, viewer)) {
            var put =
                    kiln.send(
                            kiln.as(key, "/api/v1/routes/x")
                                    .header("Content-Type", "application/json")
                                    .PUT(
                                            HttpRequest.BodyPublishers.ofString(
                                                    route("a.example.com", "/")))
                                    .build());
            assertThat(put.statusCode()).isEqualTo(403);
            assertThat(errorCode(put)).isEqualTo("forbidden");
            assertThat(kiln.send(kiln.as(key, "/api/v1/routes").GET().build()).statusCode())
                    .isEqualTo(403);
        }
        assertThat(json(kiln.get("/api/v1/routes")).path("routes")).isEmpty();
    }

    // --- helpers

    private static String route(String host, String prefix) {
        return "{\"host\":\""
                + host
                + "\",\"pathPrefix\":\""
                + prefix
                + "\",\"service\":\"shop\",\"function\":\"api\"}";
    }

    private HttpResponse<byte[]> putRoute(
            String id, String host, String prefix, String function, String qualifier) {
        String body =
                "{\"host\":\""
                        + host
                        + "\",\"pathPrefix\":\""
                        + prefix
                        + "\",\"service\":\"shop\",\"function\":\""
                        + function
                        + "\""
                        + (qualifier == null ? "" : ",\"qualifier\":\"" + qualifier + "\"")
                        + "}";
        return kiln.sendJson("PUT", "/api/v1/routes/" + id, body);
    }

    /** A GET of {@code target} with {@code Host: host}; the probe's answer (must be 200). */
    private String probe(String host, String target) throws IOException {
        var r = raw(host, "GET " + target);
        assertThat(r.status()).as(host + target + ": " + r.text()).isEqualTo(200);
        return body(r);
    }

    /** {@code requestLine} (without the version) with {@code Host: host} on a new connection. */
    private RawExchange.Reply raw(String host, String requestLine, String... headers)
            throws IOException {
        try (var conn = new RawExchange(kiln.host().port())) {
            StringBuilder req = new StringBuilder(requestLine).append(" HTTP/1.1\r\n");
            req.append("Host: ").append(host).append("\r\n");
            for (String h : headers) {
                req.append(h).append("\r\n");
            }
            req.append("Connection: close\r\n\r\n");
            conn.send(req.toString());
            return conn.readUntilClosed(10_000);
        }
    }

    /** The next request on a kept-alive connection. */
    private static RawExchange.Reply next(RawExchange conn, String host, String target)
            throws IOException {
        conn.send("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
        return conn.readResponse(10_000);
    }

    private static String body(RawExchange.Reply reply) {
        String t = reply.text();
        int at = t.indexOf("\r\n\r\n");
        return at < 0 ? "" : t.substring(at + 4);
    }
}
