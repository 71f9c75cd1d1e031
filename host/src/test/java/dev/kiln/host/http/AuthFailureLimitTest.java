package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.access.AccessLimits;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key guessing from one IP is cut off with 429 after the configured number of invalid keys. */
class AuthFailureLimitTest {
    @TempDir Path data;

    @Test
    void invalidKeysBeyondTheBudgetAre429ForEveryKeyFromThatAddress() {
        var limits = new AccessLimits(3, Duration.ofMinutes(10), 100, 1000, Duration.ofDays(1));
        try (TestHost kiln = TestHost.start(data, b -> b.accessLimits(limits))) {
            kiln.deploy("shop", "fn", Wat.fixture("echo"));
            kiln.patch("shop", "fn", "{\"httpAuth\":\"key\"}");
            // Requests without a key, and valid keys outside their role, are not guesses.
            for (int i = 0; i < 5; i++) {
                assertThat(kiln.send(kiln.request("/api/v1/services").build()).statusCode())
                        .isEqualTo(401);
            }
            String viewer = kiln.createKey("v", "viewer", null);
            for (int i = 0; i < 5; i++) {
                var r =
                        kiln.send(
                                kiln.as(viewer, "/api/v1/keys")
                                        .method("GET", HttpRequest.BodyPublishers.noBody())
                                        .build());
                assertThat(r.statusCode()).isEqualTo(403);
            }
            // Three guesses (API and trigger alike) use the budget up...
            assertThat(kiln.send(kiln.as("guess-1", "/api/v1/services").build()).statusCode())
                    .isEqualTo(401);
            assertThat(
                            kiln.send(
                                            kiln.as("kiln_k_0123456789abcdef_x", "/fn/shop/fn/")
                                                    .POST(HttpRequest.BodyPublishers.ofString("x"))
                                                    .build())
                                    .statusCode())
                    .isEqualTo(401);
            assertThat(kiln.send(kiln.as("guess-3", "/metrics").build()).statusCode())
                    .isEqualTo(401);
            // ...then every keyed request from this address is refused unchecked, the right key
            // too, so a guess learns nothing.
            for (String key : new String[] {"guess-4", TestHost.TOKEN}) {
                var r = kiln.send(kiln.as(key, "/api/v1/services").build());
                assertThat(r.statusCode()).isEqualTo(429);
                assertThat(errorCode(r)).isEqualTo("rate_limited");
                long retry = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
                assertThat(retry).isBetween(1L, 600L);
            }
            var trigger =
                    kiln.send(
                            kiln.as(TestHost.TOKEN, "/fn/shop/fn/")
                                    .POST(HttpRequest.BodyPublishers.ofString("x"))
                                    .build());
            assertThat(trigger.statusCode()).isEqualTo(429);
            // Without a key there is nothing to guess: still 401. The host still serves.
            assertThat(kiln.send(kiln.request("/api/v1/services").build()).statusCode())
                    .isEqualTo(401);
            assertThat(kiln.send(kiln.request("/healthz").build()).statusCode()).isEqualTo(200);
        }
    }
}
