package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data directory whose disk is below its free-space floor: the floor is set above the disk's real
 * free space, so the host sees exactly what it sees on a full disk without filling one
 * (docs/adr/0030).
 */
class FullDiskTest {
    @TempDir Path data;
    TestHost kiln;

    @AfterEach
    void stop() {
        if (kiln != null) {
            kiln.close();
        }
    }

    /** A floor one GiB above what the disk has free now. */
    long floorAboveFreeSpace() throws Exception {
        return Files.getFileStore(data).getUsableSpace() / (1024 * 1024) + 1024;
    }

    @Test
    void belowTheFloorWritesAnswer507AndHealthzReportsTheStorageFull() throws Exception {
        kiln = TestHost.start(data);
        assertThat(kiln.deploy("disk", "echo", Wat.fixture("echo")).statusCode()).isEqualTo(201);
        var subscribed =
                kiln.sendJson(
                        "POST",
                        "/api/v1/services/disk/functions/echo/triggers",
                        "{\"id\":\"in\",\"type\":\"topic\",\"topic\":\"orders\"}");
        assertThat(subscribed.statusCode()).isEqualTo(201);
        var healthy = kiln.send(kiln.request("/healthz").GET().build());
        assertThat(healthy.statusCode()).isEqualTo(200);
        assertThat(text(healthy)).isEqualTo("{\"status\":\"ok\"}");
        kiln.close();

        long floor = floorAboveFreeSpace();
        kiln = TestHost.start(data, b -> b.minFreeDiskMiB(floor));

        var health = kiln.send(kiln.request("/healthz").GET().build());
        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(text(health)).isEqualTo("{\"status\":\"degraded\",\"storage\":\"full\"}");

        // Uploads, settings changes, asynchronous invocations and publishes are refused cleanly.
        var upload = kiln.deploy("disk", "other", Wat.fixture("echo"));
        assertThat(upload.statusCode()).isEqualTo(507);
        assertThat(errorCode(upload)).isEqualTo("insufficient_storage");
        assertThat(text(upload)).doesNotContain(data.toString());
        var patch = kiln.patch("disk", "echo", "{\"timeoutMs\":2000}");
        assertThat(errorCode(patch)).isEqualTo("insufficient_storage");
        var async = kiln.invokeAsync("disk", "echo", "later");
        assertThat(async.statusCode()).isEqualTo(507);
        assertThat(errorCode(async)).isEqualTo("insufficient_storage");
        var publish =
                kiln.send(
                        kiln.admin("/api/v1/topics/orders/events")
                                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                .build());
        assertThat(publish.statusCode()).isEqualTo(507);
        assertThat(errorCode(publish)).isEqualTo("insufficient_storage");
        assertThat(kiln.get("/api/v1/services/disk/functions/other").statusCode()).isEqualTo(404);
        assertThat(
                        json(kiln.get("/api/v1/services/disk/functions/echo"))
                                .path("settings")
                                .path("timeoutMs")
                                .asInt())
                .isNotEqualTo(2000);

        // Reads and synchronous invocations go on; their records are dropped, not written.
        var sync = kiln.invoke("disk", "echo", "now");
        assertThat(sync.statusCode()).isEqualTo(200);
        assertThat(text(sync)).isEqualTo("now");
        kiln.host().flushRecords();
        assertThat(
                        json(kiln.get("/api/v1/services/disk/functions/echo/invocations"))
                                .path("invocations")
                                .size())
                .isZero();
        var limits = json(kiln.get("/api/v1/limits"));
        assertThat(limits.path("minFreeDiskMiB").asLong()).isEqualTo(floor);
        kiln.close();

        // With room again, everything works as before.
        kiln = TestHost.start(data, b -> b.minFreeDiskMiB(0));
        assertThat(kiln.send(kiln.request("/healthz").GET().build()).statusCode()).isEqualTo(200);
        assertThat(kiln.invokeAsync("disk", "echo", "later").statusCode()).isEqualTo(202);
        assertThat(kiln.deploy("disk", "other", Wat.fixture("echo")).statusCode()).isEqualTo(201);
    }
}
