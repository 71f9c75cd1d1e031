package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code httpAuth: key} on the HTTP trigger, and Kiln keys never reaching a guest. */
class HttpAuthTest {
    @TempDir Path data;
    TestHost kiln;

    @BeforeEach
    void start() {
        kiln = TestHost.start(data, b -> b.maxPayloadBytes(1024));
        assertThat(kiln.deploy("shop", "private", Wat.fixture("header_values")).statusCode())
                .isEqualTo(201);
        assertThat(kiln.deploy("shop", "public", Wat.fixture("header_values")).statusCode())
                .isEqualTo(201);
        var patched = kiln.patch("shop", "private", "{\"httpAuth\":\"key\"}");
        assertThat(patched.statusCode()).isEqualTo(200);
        assertThat(json(patched).path("settings").path("httpAuth").asText()).isEqualTo("key");
        assertThat(
                        json(kiln.get("/api/v1/services/shop/functions/public"))
                                .path("settings")
                                .path("httpAuth")
                                .asText())
                .isEqualTo("anonymous");
    }

    @AfterEach
    void stop() {
        kiln.close();
    }

    @Test
    void aKeyFunctionNeedsAKeyWithInvokeRightsOnItsService() {
        String invoker = kiln.createKey("inv", "invoker", List.of("shop"));
        String otherInvoker = kiln.createKey("inv2", "invoker", List.of("billing"));
        String viewer = kiln.createKey("view", "viewer", List.of("shop"));

        var none = trigger("private", null, "authorization");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(errorCode(none)).isEqualTo("unauthorized");
        assertThat(none.headers().firstValue("www-authenticate")).isPresent();
        assertThat(trigger("private", "kiln_k_0123456789abcdef_guess", "x").statusCode())
                .isEqualTo(401);
        for (String key : List.of(otherInvoker, viewer)) {
            var r = trigger("private", key, "authorization");
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(errorCode(r)).isEqualTo("forbidden");
        }
        for (String key : List.of(invoker, TestHost.TOKEN)) {
            var ok = trigger("private", key, "authorization");
            assertThat(ok.statusCode()).as(text(ok)).isEqualTo(200);
            // The guest read its Authorization header: there was none.
            assertThat(text(ok)).isEmpty();
        }
        // A setting that is neither is refused.
        var bad = kiln.patch("shop", "private", "{\"httpAuth\":\"iam\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(text(bad)).contains("httpAuth");
    }

    @Test
    void theKeyIsCheckedBeforeTheBodyIsRead() {
        // Twice maxPayloadBytes: reading it would answer 413 payload_too_large.
        var r =
                kiln.send(
                        kiln.request("/fn/shop/private/")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[2048]))
                                .build());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(errorCode(r)).isEqualTo("unauthorized");
        assertThat(trigger("private", TestHost.TOKEN, "x").statusCode()).isEqualTo(200);
    }

    @Test
    void anonymousFunctionsNeverSeeKilnKeysButSeeTheirOwnTokens() {
        String invoker = kiln.createKey("inv", "invoker", List.of("shop"));
        var own = trigger("public", "guest-token", "authorization");
        assertThat(text(own)).isEqualTo("Bearer guest-token\n");
        // Judged by shape, so an echoing guest cannot tell valid keys from guesses.
        for (String key : List.of(invoker, "kiln_k_0123456789abcdef_guess")) {
            var r = trigger("public", key, "authorization");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(text(r)).isEmpty();
        }
    }

    private HttpResponse<byte[]> trigger(String function, String key, String body) {
        var b = kiln.request("/fn/shop/" + function + "/");
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return kiln.send(b.POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }
}
