package dev.kiln.host.cluster;

import static dev.kiln.host.testing.TestHost.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without {@code --cluster}, {@code GET /api/v1/cluster} lists the one embedded node. */
class SingleNodeClusterViewTest {
    @TempDir Path dir;

    @Test
    void theEmbeddedNodeListsItself() {
        try (TestHost kiln = TestHost.start(dir)) {
            assertThat(kiln.deploy("s", "echo", Wat.fixture("echo")).statusCode()).isEqualTo(201);
            var answer = kiln.get("/api/v1/cluster");
            assertThat(answer.statusCode()).isEqualTo(200);
            JsonNode body = json(answer);
            assertThat(body.path("mode").asText()).isEqualTo("single");
            assertThat(body.path("writable").asBoolean()).isTrue();
            assertThat(body.path("nodes")).hasSize(1);
            JsonNode self = body.path("nodes").get(0);
            assertThat(self.path("name").asText()).isEqualTo(body.path("node").asText());
            assertThat(self.path("self").asBoolean()).isTrue();
            assertThat(self.path("state").asText()).isEqualTo("serving");
            assertThat(self.path("zone").asText()).isEqualTo("default");
            assertThat(self.path("inUse").asInt()).isZero();
            assertThat(self.path("capacity").asInt())
                    .isEqualTo(dev.kiln.host.config.KilnConfig.defaults().workerThreads());
            assertThat(kiln.host().cluster().mode()).isEqualTo("single");
        }
    }

    @Test
    void aKeyWithoutReadOnEveryServiceMayNotSeeTheNodes() {
        try (TestHost kiln = TestHost.start(dir)) {
            String key = kiln.createKey("shop-viewer", "viewer", java.util.List.of("shop"));
            var refused = kiln.send(kiln.as(key, "/api/v1/cluster").GET().build());
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(TestHost.errorCode(refused)).isEqualTo("forbidden");
            assertThat(kiln.get("/api/v1/cluster").statusCode()).isEqualTo(200);
        }
    }
}
