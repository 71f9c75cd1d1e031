package dev.kiln.host.observability;

import static dev.kiln.host.testing.TestHost.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * records.db holds history only: a corrupt one is moved aside and the host starts with an empty one
 * (docs/adr/0030).
 */
class CorruptRecordsTest {
    static final String FN = "/api/v1/services/hist/functions/echo";

    @TempDir Path data;

    @Test
    void aRecordsDbOfGarbageIsMovedAsideAndTheHostStartsWithAnEmptyOne() throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("hist", "echo", Wat.fixture("echo"));
            kiln.invoke("hist", "echo", "before");
        }
        byte[] garbage = new byte[64 * 1024];
        new Random(13).nextBytes(garbage);
        Files.write(data.resolve("records.db"), garbage);
        Files.deleteIfExists(data.resolve("records.db-wal"));
        Files.deleteIfExists(data.resolve("records.db-shm"));

        try (TestHost kiln = TestHost.start(data)) {
            // The functions (kiln.db) are untouched; the old history is gone from the API.
            assertThat(json(kiln.get(FN + "/invocations")).path("invocations").size()).isZero();
            var r = kiln.invoke("hist", "echo", "after");
            assertThat(r.statusCode()).isEqualTo(200);
            String id = r.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
            kiln.host().flushRecords();
            assertThat(kiln.get(FN + "/invocations/" + id).statusCode()).isEqualTo(200);
        }

        List<Path> aside;
        try (Stream<Path> files = Files.list(data)) {
            aside =
                    files.filter(p -> p.getFileName().toString().startsWith("records.db.corrupt-"))
                            .toList();
        }
        assertThat(aside).hasSize(1);
        assertThat(Files.readAllBytes(aside.get(0))).isEqualTo(garbage);
    }
}
