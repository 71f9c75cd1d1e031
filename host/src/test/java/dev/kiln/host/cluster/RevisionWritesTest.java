package dev.kiln.host.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.host.testing.NatsServers;
import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.Nats;
import io.nats.client.api.KeyValueEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compare-and-set writes on a real three-server JetStream cluster with an R3 bucket, where
 * nats-server 2.9.10's clustered revision check races (nats-server#4320): of two writes over one
 * revision, made at the same moment through different servers, exactly one is stored.
 */
class RevisionWritesTest {
    @TempDir static Path dir;
    static NatsServers nats;
    static Connection one;
    static Connection two;
    static KeyValue bucket;

    @BeforeAll
    static void start() throws Exception {
        nats = NatsServers.start(dir.resolve("nats"), 3);
        one = Nats.connect(nats.server(0).url());
        two = Nats.connect(nats.server(1).url());
        bucket = Buckets.documents(one, 3);
    }

    @AfterAll
    static void stop() throws Exception {
        for (Connection c : new Connection[] {one, two}) {
            if (c != null) {
                c.close();
            }
        }
        nats.close();
    }

    @Test
    void ofTwoWritesOverOneRevisionAtOnceExactlyOneIsStored() throws Exception {
        RevisionWrites a = new RevisionWrites(one, bucket);
        RevisionWrites b = new RevisionWrites(two, Buckets.documents(two, 3));
        String key = "race.=k";
        long revision = a.create(key, bytes("0"));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 1; round <= 60; round++) {
                long over = revision;
                CountDownLatch go = new CountDownLatch(1);
                Future<Long> fromA = pool.submit(writer(go, a, key, "a" + round, over));
                Future<Long> fromB = pool.submit(writer(go, b, key, "b" + round, over));
                go.countDown();
                List<Long> stored = new ArrayList<>();
                for (Future<Long> f : List.of(fromA, fromB)) {
                    if (f.get() > 0) {
                        stored.add(f.get());
                    }
                }
                assertThat(stored).as("round %d: writes stored over %d", round, over).hasSize(1);
                revision = stored.get(0);
                assertThat(readAtLeast(key, revision).getRevision())
                        .as("round %d: the bucket's revision", round)
                        .isEqualTo(revision);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aStaleRevisionIsAConflictAndADeletedKeyCanBeCreatedAgain() throws Exception {
        RevisionWrites w = new RevisionWrites(one, bucket);
        String key = "again.=k";
        long first = w.create(key, bytes("1"));
        long second = w.update(key, bytes("2"), first);
        assertThatThrownBy(() -> w.update(key, bytes("3"), first))
                .isInstanceOf(RevisionWrites.Conflict.class);
        assertThatThrownBy(() -> w.create(key, bytes("3")))
                .isInstanceOf(RevisionWrites.Conflict.class);
        w.delete(key, second);
        long third = w.create(key, bytes("4"));
        assertThat(third).isGreaterThan(second);
        KeyValueEntry read = readAtLeast(key, third);
        assertThat(read.getRevision()).isEqualTo(third);
        assertThat(new String(read.getValue(), StandardCharsets.UTF_8)).isEqualTo("4");
    }

    /**
     * The key as the bucket answers it once it holds {@code revision} or later, or as it last
     * answered after 5 s. A get may be answered by a replica that has not applied the write yet
     * (direct get): it must come to hold the stored revision, never another one.
     */
    private static KeyValueEntry readAtLeast(String key, long revision) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        KeyValueEntry seen = bucket.get(key);
        while ((seen == null || seen.getRevision() < revision) && System.nanoTime() < deadline) {
            Thread.sleep(10);
            seen = bucket.get(key);
        }
        assertThat(seen).as("%s at revision %d", key, revision).isNotNull();
        return seen;
    }

    private static Callable<Long> writer(
            CountDownLatch go, RevisionWrites w, String key, String value, long over) {
        return () -> {
            go.await();
            try {
                return w.update(key, bytes(value), over);
            } catch (RevisionWrites.Conflict c) {
                return 0L;
            }
        };
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
