package dev.kiln.host.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.NatsServers;
import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A copy whose watch stopped delivering (its consumer lost with a NATS server, while the node's
 * connection lives on) still reaches a revision another node wrote: {@link
 * BucketWatch#appliedWithin} reads the missing entries from the bucket's stream directly, in order,
 * stepping over revisions a later write of the same key superseded.
 */
class BucketWatchTest {
    @TempDir Path dir;

    @Test
    void aCopyWhoseWatchStoppedCatchesUpByReadingTheStream() throws Exception {
        try (NatsServers nats = NatsServers.start(dir.resolve("nats"), 3)) {
            Connection reader = Nats.connect(nats.server(1).url());
            Connection writer = Nats.connect(nats.server(2).url());
            try {
                check(reader, writer);
            } finally {
                reader.close();
                writer.close();
            }
        }
    }

    private static void check(Connection reader, Connection writer) throws Exception {
        KeyValue bucket = Buckets.registry(writer, 3);
        assertThat(bucket.getStatus().getConfiguration().getBackingConfig().getAllowDirect())
                .as("direct gets, answered by any replica")
                .isTrue();
        bucket.put("a", bytes("1"));
        List<String> seen = new CopyOnWriteArrayList<>();
        BucketWatch watch =
                new BucketWatch(
                        reader,
                        Buckets.registry(reader, 3),
                        "test",
                        e ->
                                seen.add(
                                        e.getKey()
                                                + "="
                                                + (e.getValue() == null
                                                        ? null
                                                        : e.getValueAsString())
                                                + "@"
                                                + e.getRevision()));
        watch.start(Duration.ofSeconds(10));
        assertThat(seen).containsExactly("a=1@1");

        watch.close(); // delivers nothing more, as a watch whose consumer died
        bucket.put("b", bytes("2")); // 2, superseded by 4
        bucket.put("a", bytes("3")); // 3
        bucket.put("b", bytes("4")); // 4
        long last = bucket.put("c", bytes("5")); // 5

        assertThat(watch.appliedWithin(last, Duration.ofSeconds(2))).isTrue();
        assertThat(watch.applied()).isEqualTo(last);
        assertThat(seen).containsExactly("a=1@1", "a=3@3", "b=4@4", "c=5@5");
        // nothing twice, nothing past what exists
        assertThat(watch.appliedWithin(last + 1, Duration.ofMillis(200))).isFalse();
        assertThat(seen).hasSize(4);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
