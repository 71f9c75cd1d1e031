package dev.kiln.host.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.storage.DocumentStore;
import dev.kiln.host.testing.NatsServers;
import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster's {@link DocumentStore} on a real nats-server (docs/adr/0054): any text as owner and
 * id, changes told to every copy's listeners in order, and a write made on a stale copy refused.
 */
class JetStreamDocumentsTest {
    @TempDir static Path dir;
    static NatsServers nats;
    static Connection one;
    static Connection two;
    static KeyValue bucket;

    @BeforeAll
    static void start() throws Exception {
        nats = NatsServers.start(dir.resolve("nats"), 1);
        one = Nats.connect(nats.server(0).url());
        two = Nats.connect(nats.server(0).url());
        bucket = Buckets.documents(one, 1);
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

    static JetStreamDocuments node(Connection nc) throws Exception {
        var documents = new JetStreamDocuments(nc, Buckets.documents(nc, 1));
        documents.start();
        return documents;
    }

    @Test
    void anyTextIsAnOwnerOrIdAndEveryCopyHearsEachChangeInOrder() throws Exception {
        JetStreamDocuments a = node(one);
        JetStreamDocuments b = node(two);
        try {
            DocumentStore onA = a.open("x.db", "odd_names");
            DocumentStore onB = b.open("x.db", "odd_names");
            List<String> heard = new CopyOnWriteArrayList<>();
            onB.listen((owner, id, body) -> heard.add(owner + "|" + id + "|" + body));

            String owner = "shop/päy.v2 *>";
            onA.put(owner, "", "{\"n\":1}");
            onA.put(owner, "", "{\"n\":2}");
            onA.put("", "a.b", "x");
            assertThat(onA.delete(owner, "")).isTrue();
            assertThat(onA.delete(owner, "")).isFalse();

            // answered on a: already b's (the same watch order a write waits for)
            b.appliedWithin(lastRevision(), java.time.Duration.ofSeconds(5));
            assertThat(heard)
                    .containsExactly(
                            owner + "||{\"n\":1}",
                            owner + "||{\"n\":2}",
                            "|a.b|x",
                            owner + "||null");
            assertThat(onB.get("", "a.b").orElseThrow().body()).isEqualTo("x");
            assertThat(onB.get(owner, "")).isEmpty();
            assertThat(onB.all()).hasSize(1);
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void aWriteMadeOnAStaleCopyIsAConflictAndChangesNothing() throws Exception {
        JetStreamDocuments a = node(one);
        try {
            DocumentStore quotas = a.open("quotas.db", "stale_test");
            quotas.put("svc", "quota", "{\"maxFunctions\":1}");
            a.close(); // a's copy stops following the bucket
            String key = "stale_test.=" + b64("svc") + ".=" + b64("quota");
            bucket.put(key, "{\"maxFunctions\":9}".getBytes(StandardCharsets.UTF_8));

            assertThatThrownBy(() -> quotas.put("svc", "quota", "{\"maxFunctions\":2}"))
                    .isInstanceOf(KilnException.class)
                    .satisfies(
                            e ->
                                    assertThat(((KilnException) e).code())
                                            .isEqualTo(ErrorCode.CONFLICT));
            assertThat(new String(bucket.get(key).getValue(), StandardCharsets.UTF_8))
                    .isEqualTo("{\"maxFunctions\":9}");
        } finally {
            a.close();
        }
    }

    static long lastRevision() throws Exception {
        return bucket.getStatus().getBackingStreamInfo().getStreamState().getLastSequence();
    }

    static String b64(String s) {
        return java.util.Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
