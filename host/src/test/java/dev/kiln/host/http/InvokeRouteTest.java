package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.access.PermissionTable;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import io.undertow.util.PathTemplateMatch;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The invoke route taken by its shape ahead of the router (docs/adr/0071): the shapes it takes and
 * leaves, and over a real socket that what it takes is answered as the routed request was (the key
 * checks for every role are {@link AccessMatrixTest}'s), and what it leaves still reaches the
 * router.
 */
class InvokeRouteTest {
    @TempDir static Path data;
    static TestHost kiln;

    @BeforeAll
    static void start() {
        kiln = TestHost.start(data);
        assertThat(kiln.deploy("shop", "echo", Wat.fixture("echo")).statusCode()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        kiln.close();
    }

    @Test
    void takesServiceAndFunctionFromTheInvokeShapeOnly() {
        PathTemplateMatch m = InvokeRoute.match("/api/v1/services/shop/functions/echo/invoke");
        assertThat(m.getMatchedTemplate()).isEqualTo(InvokeRoute.TEMPLATE);
        assertThat(m.getParameters()).isEqualTo(Map.of("service", "shop", "function", "echo"));
        assertThat(InvokeRoute.match("/api/v1/services/s/functions/invoke/invoke").getParameters())
                .containsEntry("function", "invoke");
        for (String other :
                new String[] {
                    "/api/v1/services//functions/echo/invoke",
                    "/api/v1/services/shop/functions//invoke",
                    "/api/v1/services/shop/functions/invoke",
                    "/api/v1/services/shop/functions/echo/invoke/",
                    "/api/v1/services/shop/functions/a/b/invoke",
                    "/api/v1/services/shop/x/functions/echo/invoke",
                    "/api/v1/services/shop/functions/echo/invocations",
                    "/api/v1/services/shop/functions/echo",
                    "/api/v2/services/shop/functions/echo/invoke",
                    "/fn/shop/echo/invoke"
                }) {
            assertThat(InvokeRoute.match(other)).as(other).isNull();
        }
    }

    @Test
    void theShapeIsTheRouteOfThePermissionTableAndNoOtherRoutesShape() {
        assertThat(PermissionTable.lookup("POST", InvokeRoute.TEMPLATE)).isPresent();
        // A route whose template also fits the shape would be shadowed by the route taken first.
        for (String route : kiln.host().routes()) {
            String template = route.substring(route.indexOf(' ') + 1);
            if (!template.equals(InvokeRoute.TEMPLATE)) {
                String concrete = template.replaceAll("\\{[^}]+}", "x");
                assertThat(InvokeRoute.match(concrete)).as(route).isNull();
            }
        }
    }

    @Test
    void anInvokeIsAnsweredWithTheRequestIdAndRecorded() {
        HttpResponse<byte[]> r = kiln.invoke("shop", "echo", "hello");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(text(r)).isEqualTo("hello");
        String id = r.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
        TestHost.await(
                "the invocation recorded",
                Duration.ofSeconds(10),
                () ->
                        kiln.get("/api/v1/services/shop/functions/echo/invocations/" + id)
                                        .statusCode()
                                == 200);
    }

    @Test
    void refusalsAreTheRoutedOnes() {
        String path = "/api/v1/services/shop/functions/echo/invoke";
        var noKey =
                kiln.send(
                        kiln.request(path).POST(HttpRequest.BodyPublishers.ofString("x")).build());
        assertThat(noKey.statusCode()).isEqualTo(401);
        assertThat(errorCode(noKey)).isEqualTo("unauthorized");

        var unknownParam = kiln.send(post(path + "?qualifer=1"));
        assertThat(unknownParam.statusCode()).isEqualTo(400);
        assertThat(text(unknownParam)).contains("unknown query parameter 'qualifer'");

        var keyInUrl = kiln.send(post(path + "?token=kiln_k_abc"));
        assertThat(keyInUrl.statusCode()).isEqualTo(400);
        assertThat(text(keyInUrl)).contains("never in the URL");

        var missing = kiln.send(post("/api/v1/services/shop/functions/nope/invoke"));
        assertThat(missing.statusCode()).isEqualTo(404);

        var qualified = kiln.send(post(path + "?qualifier=1"));
        assertThat(qualified.statusCode()).isEqualTo(200);

        assertThat(kiln.invoke("shop", "echo", "still").statusCode()).isEqualTo(200);
    }

    @Test
    void otherShapesAndMethodsStillReachTheRouter() {
        String path = "/api/v1/services/shop/functions/echo/invoke";
        var get = kiln.send(kiln.admin(path).GET().build());
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(errorCode(get)).isEqualTo("method_not_allowed");
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");

        var emptyService = kiln.send(post("/api/v1/services//functions/echo/invoke"));
        assertThat(emptyService.statusCode()).isEqualTo(404);
        var extraSegment = kiln.send(post("/api/v1/services/shop/functions/a/b/invoke"));
        assertThat(extraSegment.statusCode()).isEqualTo(404);
        assertThat(errorCode(extraSegment)).isEqualTo("not_found");

        assertThat(kiln.invoke("shop", "echo", "still").statusCode()).isEqualTo(200);
    }

    private static HttpRequest post(String path) {
        return kiln.admin(path).POST(HttpRequest.BodyPublishers.ofString("x")).build();
    }
}
