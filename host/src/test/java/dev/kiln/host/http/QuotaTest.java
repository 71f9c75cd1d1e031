package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Service quotas over real sockets: deploy quotas, rate and concurrency, the per-client rate. */
class QuotaTest {
    static final byte[] ECHO =
            Wat.compile(
                    """
                    (module
                      (memory (export "memory") 1)
                      (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                      (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
                        (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))
                                (i64.extend_i32_u (local.get $n)))))
                    """);

    /** Spins until its deadline interrupts it. */
    static final byte[] SPIN =
            Wat.compile(
                    """
                    (module
                      (memory (export "memory") 1)
                      (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                      (func (export "kiln_handle") (param i32 i32) (result i64)
                        (loop $l (br $l)) (i64.const 0)))
                    """);

    @TempDir Path data;

    private static HttpResponse<byte[]> putQuota(TestHost kiln, String service, String json) {
        return kiln.sendJson("PUT", "/api/v1/services/" + service + "/quota", json);
    }

    @Test
    void aQuotaIsStoredShownAndDeleted() {
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(kiln.deploy("shop", "a", ECHO).statusCode()).isEqualTo(201);
            JsonNode none = json(kiln.get("/api/v1/services/shop/quota"));
            assertThat(none.path("maxFunctions").isNull()).isTrue();
            assertThat(none.path("usage").path("functions").asInt()).isEqualTo(1);
            assertThat(none.path("usage").path("memoryMiB").asInt()).isEqualTo(64);

            var put = putQuota(kiln, "shop", "{\"maxFunctions\":3,\"maxInvocationsPerSecond\":50}");
            assertThat(put.statusCode()).isEqualTo(200);
            assertThat(json(put).path("maxFunctions").asInt()).isEqualTo(3);
            JsonNode got = json(kiln.get("/api/v1/services/shop/quota"));
            assertThat(got.path("maxInvocationsPerSecond").asInt()).isEqualTo(50);
            assertThat(got.path("maxMemoryMiB").isNull()).isTrue();

            // PUT replaces the whole quota.
            putQuota(kiln, "shop", "{\"maxMemoryMiB\":512}");
            got = json(kiln.get("/api/v1/services/shop/quota"));
            assertThat(got.path("maxFunctions").isNull()).isTrue();
            assertThat(got.path("maxMemoryMiB").asInt()).isEqualTo(512);

            var del = kiln.send(kiln.admin("/api/v1/services/shop/quota").DELETE().build());
            assertThat(del.statusCode()).isEqualTo(204);
            assertThat(json(kiln.get("/api/v1/services/shop/quota")).path("maxMemoryMiB").isNull())
                    .isTrue();
        }
    }

    @Test
    void aQuotaSurvivesARestart() {
        try (TestHost kiln = TestHost.start(data)) {
            putQuota(kiln, "later", "{\"maxFunctions\":1}");
        }
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(json(kiln.get("/api/v1/services/later/quota")).path("maxFunctions").asInt())
                    .isEqualTo(1);
            assertThat(kiln.deploy("later", "one", ECHO).statusCode()).isEqualTo(201);
            assertThat(errorCode(kiln.deploy("later", "two", ECHO))).isEqualTo("quota_exceeded");
        }
    }

    @Test
    void badQuotasAreRefusedNamingTheFieldAndTheHostKeepsServing() {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("shop", "a", ECHO);
            record Bad(String body, String mentions) {}
            for (Bad bad :
                    List.of(
                            new Bad("{\"maxFunction\":3}", "maxFunction'"),
                            new Bad("{\"maxFunctions\":-1}", "maxFunctions"),
                            new Bad("{\"maxConcurrency\":0}", "maxConcurrency"),
                            new Bad("{\"maxMemoryMiB\":\"64\"}", "maxMemoryMiB"),
                            new Bad("{\"maxInvocationsPerSecond\":1.5}", "maxInvocationsPerSecond"),
                            new Bad("{\"maxFunctions\":99999999999}", "maxFunctions"),
                            new Bad("[1]", "object"),
                            new Bad("not json", "JSON"))) {
                var r = putQuota(kiln, "shop", bad.body());
                assertThat(r.statusCode()).as(bad.body()).isEqualTo(400);
                assertThat(errorCode(r)).isEqualTo("bad_request");
                assertThat(json(r).path("error").path("message").asText()).contains(bad.mentions());
            }
            var badName = putQuota(kiln, "Not_A_Service!", "{}");
            assertThat(badName.statusCode()).isEqualTo(400);
            // Nothing was stored, and the host still serves.
            assertThat(json(kiln.get("/api/v1/services/shop/quota")).path("maxFunctions").isNull())
                    .isTrue();
            assertThat(kiln.invoke("shop", "a", "still here").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void deployQuotasRefuseNewFunctionsAndMemoryButAllowUpdates() {
        try (TestHost kiln = TestHost.start(data)) {
            putQuota(kiln, "shop", "{\"maxFunctions\":2,\"maxMemoryMiB\":100}");
            assertThat(kiln.deploy("shop", "a", ECHO).statusCode()).isEqualTo(201); // 64 MiB
            var second = kiln.deploy("shop", "b", ECHO); // 128 MiB in all
            assertThat(second.statusCode()).isEqualTo(403);
            assertThat(errorCode(second)).isEqualTo("quota_exceeded");
            assertThat(json(second).path("error").path("message").asText()).contains("100");
            assertThat(kiln.get("/api/v1/services/shop/functions/b").statusCode()).isEqualTo(404);

            assertThat(kiln.patch("shop", "a", "{\"memoryMiB\":16}").statusCode()).isEqualTo(200);
            assertThat(kiln.deploy("shop", "b", ECHO).statusCode()).isEqualTo(201); // 80 MiB
            var third = kiln.deploy("shop", "c", ECHO);
            assertThat(errorCode(third)).isEqualTo("quota_exceeded");
            assertThat(json(third).path("error").path("message").asText()).contains("2 functions");
            var grow = kiln.patch("shop", "b", "{\"memoryMiB\":90}");
            assertThat(grow.statusCode()).isEqualTo(403);
            assertThat(errorCode(grow)).isEqualTo("quota_exceeded");

            // Lowered below use: updates that do not grow still work; other services are free.
            putQuota(kiln, "shop", "{\"maxFunctions\":1,\"maxMemoryMiB\":10}");
            assertThat(kiln.deploy("shop", "a", ECHO).statusCode()).isEqualTo(200);
            assertThat(kiln.patch("shop", "b", "{\"memoryMiB\":8}").statusCode()).isEqualTo(200);
            assertThat(kiln.deploy("other", "x", ECHO).statusCode()).isEqualTo(201);
        }
    }

    @Test
    void overItsRateAServiceIsRateLimitedWithRetryAfterAndOthersAreNot() {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("flood", "a", ECHO);
            kiln.deploy("calm", "b", ECHO);
            putQuota(kiln, "flood", "{\"maxInvocationsPerSecond\":1}");
            List<HttpResponse<byte[]>> answers = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                answers.add(kiln.invoke("flood", "a", "x"));
            }
            var limited =
                    answers.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
            assertThat(errorCode(limited)).isEqualTo("rate_limited");
            assertThat(limited.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(json(limited).path("error").path("message").asText())
                    .contains("flood")
                    .contains("1 invocations per second");
            // The other tenant, and the HTTP trigger of the limited one after a second, work.
            for (int i = 0; i < 5; i++) {
                assertThat(kiln.invoke("calm", "b", "x").statusCode()).isEqualTo(200);
            }
            TestHost.await(
                    "a token for flood",
                    Duration.ofSeconds(10),
                    () -> kiln.invoke("flood", "a", "x").statusCode() == 200);
            var metrics = TestHost.text(kiln.get("/metrics"));
            assertThat(metrics)
                    .contains("kiln_rate_limited_total{service=\"flood\",reason=\"rate\"}");
        }
    }

    @Test
    void overItsConcurrencyAServiceIsRefusedAtOnce() throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("busy", "spin", SPIN);
            kiln.patch("busy", "spin", "{\"timeoutMs\":3000,\"fuel\":1000000000000}");
            kiln.deploy("busy", "echo", ECHO);
            kiln.deploy("calm", "echo", ECHO);
            putQuota(kiln, "busy", "{\"maxConcurrency\":1}");
            HttpRequest spin =
                    kiln.admin("/api/v1/services/busy/functions/spin/invoke")
                            .POST(HttpRequest.BodyPublishers.ofString(""))
                            .build();
            CompletableFuture<HttpResponse<byte[]>> running =
                    CompletableFuture.supplyAsync(() -> kiln.send(spin));
            TestHost.await(
                    "the spin to hold the service's slot",
                    Duration.ofSeconds(10),
                    () ->
                            json(kiln.get("/api/v1/services/busy/quota"))
                                            .path("usage")
                                            .path("concurrency")
                                            .asInt()
                                    == 1);
            // Another function of the same service is refused at once; another service is not.
            var refused = kiln.invoke("busy", "echo", "x");
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(errorCode(refused)).isEqualTo("rate_limited");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(kiln.invoke("calm", "echo", "x").statusCode()).isEqualTo(200);
            // Stopped by its deadline (or, on a fast machine, its fuel): either way it held the
            // slot.
            assertThat(errorCode(running.get())).isIn("timeout", "fuel_exhausted");
            // The slot is free again.
            assertThat(kiln.invoke("busy", "echo", "x").statusCode()).isEqualTo(200);
            assertThat(
                            json(kiln.get("/api/v1/services/busy/quota"))
                                    .path("usage")
                                    .path("concurrency")
                                    .asInt())
                    .isZero();
        }
    }

    @Test
    void rateLimitedAsyncEventsAreRetriedWithoutUsingUpAttempts() {
        try (TestHost kiln =
                TestHost.start(
                        data,
                        b ->
                                b.eventLimits(
                                        dev.kiln.host.events.EventLimits.DEFAULTS.toBuilder()
                                                .defaultMaxAttempts(1)
                                                .build()))) {
            kiln.deploy("slow", "a", ECHO);
            putQuota(kiln, "slow", "{\"maxInvocationsPerSecond\":2}");
            for (int i = 0; i < 6; i++) {
                assertThat(kiln.invokeAsync("slow", "a", "e" + i).statusCode()).isEqualTo(202);
            }
            TestHost.await(
                    "all six events to run",
                    Duration.ofSeconds(30),
                    () -> {
                        kiln.host().flushRecords();
                        return json(kiln.get("/api/v1/services/slow/functions/a/invocations"))
                                        .path("invocations")
                                        .size()
                                == 6;
                    });
            JsonNode dead = json(kiln.get("/api/v1/services/slow/functions/a/dead-letters"));
            assertThat(dead.toString()).doesNotContain("rate_limited");
            for (JsonNode inv :
                    json(kiln.get("/api/v1/services/slow/functions/a/invocations"))
                            .path("invocations")) {
                assertThat(inv.path("outcome").asText()).isEqualTo("ok");
            }
        }
    }

    @Test
    void theHttpTriggerLimitsEachClientAddress() {
        try (TestHost kiln = TestHost.start(data, b -> b.triggerRatePerIp(1))) {
            kiln.deploy("pub", "a", ECHO);
            List<HttpResponse<byte[]>> answers = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                answers.add(
                        kiln.send(
                                kiln.request("/fn/pub/a/")
                                        .POST(HttpRequest.BodyPublishers.ofString("hi"))
                                        .build()));
            }
            var limited =
                    answers.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
            assertThat(errorCode(limited)).isEqualTo("rate_limited");
            assertThat(limited.headers().firstValue("Retry-After")).hasValue("1");
            // The authenticated invoke API is not limited per address.
            for (int i = 0; i < 5; i++) {
                assertThat(kiln.invoke("pub", "a", "x").statusCode()).isEqualTo(200);
            }
            assertThat(
                            json(kiln.get("/api/v1/limits"))
                                    .path("tenancy")
                                    .path("triggerRatePerIp")
                                    .asInt())
                    .isEqualTo(1);
            assertThat(TestHost.text(kiln.get("/metrics")))
                    .contains("kiln_trigger_rate_limited_total");
            TestHost.await(
                    "a token for this client",
                    Duration.ofSeconds(10),
                    () -> kiln.send(kiln.request("/fn/pub/a/").GET().build()).statusCode() == 200);
        }
    }
}
