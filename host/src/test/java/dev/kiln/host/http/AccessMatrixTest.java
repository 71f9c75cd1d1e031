package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.access.AccessLimits;
import dev.kiln.host.access.Action;
import dev.kiln.host.access.Permission;
import dev.kiln.host.access.PermissionTable;
import dev.kiln.host.access.Scope;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The security suite: for every registered route (from the router) and every kind of key, the
 * request is let through or refused exactly as the permission table and the role definitions of the
 * README say, over a real socket. "Let through" means the route's own handler answered (a 2xx, or
 * its own 400/404/415 for the placeholder ids used here: nothing is changed), never 401 or 403.
 */
class AccessMatrixTest {
    @TempDir static Path data;
    static TestHost kiln;

    static final String IN = "shop-a";
    static final String OUT = "other";

    /** The README's role table, restated independently of {@code Role}. */
    static final Map<String, Set<Action>> GRANTS =
            Map.of(
                    "viewer", EnumSet.of(Action.AUTHENTICATED, Action.READ),
                    "invoker", EnumSet.of(Action.AUTHENTICATED, Action.INVOKE),
                    "developer",
                            EnumSet.of(
                                    Action.AUTHENTICATED, Action.READ, Action.INVOKE, Action.WRITE),
                    "admin", EnumSet.allOf(Action.class));

    record Key(String label, String role, boolean allServices, String secret) {}

    static final List<Key> KEYS = new ArrayList<>();

    @BeforeAll
    static void start() {
        kiln =
                TestHost.start(
                        data,
                        b ->
                                b.accessLimits(
                                        new AccessLimits(
                                                100_000,
                                                Duration.ofMinutes(1),
                                                100,
                                                100_000,
                                                Duration.ofDays(1))));
        assertThat(kiln.deploy(IN, "fn", Wat.fixture("echo")).statusCode()).isEqualTo(201);
        assertThat(kiln.deploy(OUT, "fn", Wat.fixture("echo")).statusCode()).isEqualTo(201);
        KEYS.add(new Key("admin token", "admin", true, TestHost.TOKEN));
        KEYS.add(new Key("admin key", "admin", true, kiln.createKey("a", "admin", null)));
        for (String role : List.of("developer", "invoker", "viewer")) {
            KEYS.add(
                    new Key(
                            role + " shop-*",
                            role,
                            false,
                            kiln.createKey(role + "-scoped", role, List.of("shop-*"))));
            KEYS.add(
                    new Key(
                            role + " all services",
                            role,
                            true,
                            kiln.createKey(role + "-all", role, null)));
        }
    }

    @AfterAll
    static void stop() {
        kiln.close();
    }

    @TestFactory
    Stream<DynamicTest> everyRouteForEveryKey() {
        List<DynamicTest> tests = new ArrayList<>();
        List<String> routes = kiln.host().routes();
        assertThat(routes).hasSizeGreaterThan(30);
        for (String route : routes) {
            int space = route.indexOf(' ');
            String method = route.substring(0, space);
            String template = route.substring(space + 1);
            Permission p = PermissionTable.lookup(method, template).orElseThrow();
            List<String> services = p.scope() == Scope.SERVICE ? List.of(IN, OUT) : List.of(IN);
            for (String service : services) {
                String path = concrete(template, service);
                tests.add(
                        DynamicTest.dynamicTest(
                                route + " [" + service + "] without a key → 401",
                                () -> expectStatus(send(method, path, null), 401, "unauthorized")));
                tests.add(
                        DynamicTest.dynamicTest(
                                route + " [" + service + "] with an invalid key → 401",
                                () ->
                                        expectStatus(
                                                send(method, path, "kiln_k_0123456789abcdef_nope"),
                                                401,
                                                "unauthorized")));
                for (Key key : KEYS) {
                    boolean allowed =
                            GRANTS.get(key.role()).contains(p.action())
                                    && switch (p.scope()) {
                                        case SERVICE -> key.allServices() || service.equals(IN);
                                        case ALL_SERVICES -> key.allServices();
                                        case ANY -> true;
                                    };
                    tests.add(
                            DynamicTest.dynamicTest(
                                    route
                                            + " ["
                                            + service
                                            + "] as "
                                            + key.label()
                                            + (allowed ? " → allowed" : " → 403"),
                                    () -> {
                                        var r = send(method, path, key.secret());
                                        if (allowed) {
                                            assertThat(r.statusCode())
                                                    .as(method + " " + path + ": " + text(r))
                                                    .isNotIn(401, 403);
                                        } else {
                                            expectStatus(r, 403, "forbidden");
                                        }
                                    }));
                }
            }
        }
        return tests.stream();
    }

    private static void expectStatus(HttpResponse<byte[]> r, int status, String code) {
        assertThat(r.statusCode()).as(text(r)).isEqualTo(status);
        assertThat(errorCode(r)).isEqualTo(code);
    }

    /** The template with placeholder ids: nothing they name exists, so nothing is changed. */
    static String concrete(String template, String service) {
        return template.replace("{service}", service)
                .replace("{function}", "ghost")
                .replace("{requestId}", "00000000000000000000000000")
                .replace("{trigger}", "no-such-trigger")
                .replace("{topic}", "matrix-topic")
                .replace("{id}", "0000000000000000")
                .replace("{version}", "1")
                .replace("{alias}", "no-such-alias")
                .replace("{key}", "matrix-key");
    }

    static HttpResponse<byte[]> send(String method, String path, String key) {
        HttpRequest.Builder b = key == null ? kiln.request(path) : kiln.as(key, path);
        if (method.equals("GET") || method.equals("DELETE")) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString("{}"));
        }
        return kiln.send(b.build());
    }
}
