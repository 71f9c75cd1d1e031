package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.config.HttpLimits;
import dev.kiln.host.testing.TestHost;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /api/v1/limits} publishes the limits the host was configured with. */
class LimitsEndpointTest {
    @Test
    void publishesTheConfiguredLimits(@TempDir Path data) {
        try (TestHost kiln =
                TestHost.start(
                        data,
                        b ->
                                b.maxPayloadBytes(12_345)
                                        .maxUploadBytes(2_000_000)
                                        .maxResponseBytes(7_777)
                                        .maxTimeout(Duration.ofSeconds(9))
                                        .maxMemoryMiB(96)
                                        .workerThreads(3)
                                        .httpLimits(
                                                HttpLimits.DEFAULTS
                                                        .withMaxBufferedRequestBytes(50_000_000)
                                                        .withMaxConnections(300, 30)))) {
            var r = kiln.get("/api/v1/limits");
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode limits = json(r);
            assertThat(limits.path("maxPayloadBytes").asLong()).isEqualTo(12_345);
            assertThat(limits.path("maxUploadBytes").asLong()).isEqualTo(2_000_000);
            assertThat(limits.path("maxResponseBytes").asLong()).isEqualTo(7_777);
            assertThat(limits.path("maxTimeoutMs").asLong()).isEqualTo(9_000);
            assertThat(limits.path("maxMemoryMiB").asInt()).isEqualTo(96);
            assertThat(limits.path("workerThreads").asInt()).isEqualTo(3);
            assertThat(limits.path("effects").path("maxLogLines").asInt()).isEqualTo(1000);
            assertThat(limits.path("module").path("maxFunctions").asInt()).isEqualTo(100_000);
            assertThat(limits.path("settings").path("maxZipEntries").asInt()).isEqualTo(64);
            assertThat(limits.path("settings").path("abis").get(0).asText()).isEqualTo("kiln");
            JsonNode http = limits.path("http");
            assertThat(http.path("maxBufferedRequestBytes").asLong()).isEqualTo(50_000_000);
            assertThat(http.path("maxConnections").asInt()).isEqualTo(300);
            assertThat(http.path("maxConnectionsPerIp").asInt()).isEqualTo(30);
            assertThat(http.path("bodyReadTimeoutMs").asLong()).isEqualTo(20_000);
            assertThat(http.path("idleTimeoutMs").asLong()).isEqualTo(600_000);
        }
    }

    @Test
    void needsTheAdminToken(@TempDir Path data) {
        try (TestHost kiln = TestHost.start(data)) {
            var r = kiln.send(kiln.request("/api/v1/limits").build());
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(errorCode(r)).isEqualTo("unauthorized");
        }
    }
}
