package dev.kiln.host.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.abi.Header;
import dev.kiln.abi.HostCall;
import dev.kiln.abi.HostInputs;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.abi.KvBucket;
import dev.kiln.abi.KvException;
import dev.kiln.abi.OutboundLimits;
import dev.kiln.host.kv.KvLimits;
import dev.kiln.host.kv.KvStore;
import dev.kiln.host.kv.SqliteKvStore;
import dev.kiln.host.secrets.Secrets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal on its own: what a {@link Recorder} writes down, what a {@link Replayer} hands back
 * and when it calls a divergence, and the recording's JSON with secrets sealed, in clear and
 * redacted.
 */
class JournalTest {
    @TempDir Path data;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Runs the same "guest" against any inputs and bucket; returns what it saw. */
    private static List<Object> guest(HostInputs in, KvBucket kv) {
        List<Object> seen = new ArrayList<>();
        seen.add(in.clock(HostCall.CLOCK_UNIX_NS));
        seen.add(in.clock(HostCall.CLOCK_MONOTONIC_NS));
        byte[] r = new byte[8];
        in.random(r);
        seen.add(List.of(r[0], r[7]));
        seen.add(String.valueOf(in.config("GREETING", Map.of("GREETING", "hi", "TOKEN", "t0p"))));
        seen.add(String.valueOf(in.config("TOKEN", Map.of("GREETING", "hi", "TOKEN", "t0p"))));
        seen.add(kv.increment(b("n"), 5));
        kv.set(b("a"), b("x"), 0);
        seen.add(kv.get(b("a")).map(String::new).orElse("none"));
        seen.add(kv.list(b(""), b(""), 100).size());
        try {
            kv.increment(b("a"), 1); // "x" is no integer
        } catch (KvException e) {
            seen.add(e.kind());
        }
        seen.add(kv.delete(b("a")));
        seen.add(kv.compareAndSwap(b("a"), null, b("y")));
        return seen;
    }

    @Test
    void aReplayHandsBackEveryAnswerAndNeverTouchesTheStore() {
        try (KvStore store = SqliteKvStore.open(data, KvLimits.DEFAULTS)) {
            KvBucket world = store.bucket("shop");
            Recorder recorder = new Recorder(HostInputs.LIVE, Set.of("TOKEN"), 1 << 20);
            List<Object> live = guest(recorder, recorder.kv(world));
            assertThat(live).contains(5L, "x", KvException.Kind.INVALID, true);
            assertThat(recorder.journal()).hasSize(12);
            assertThat(recorder.overflowed()).isFalse();
            assertThat(recorder.journal().get(4))
                    .isEqualTo(new JournalEntry.Config("TOKEN", "t0p", true));
            assertThat(recorder.journal().get(3))
                    .isEqualTo(new JournalEntry.Config("GREETING", "hi", false));

            Replayer replayer = new Replayer(recorder.journal(), Map.of());
            List<Object> again = guest(replayer, replayer.kv());
            assertThat(again).isEqualTo(live);
            assertThat(replayer.finish()).isNull();
            // The store is as the live run left it: the replay's increment and swap never ran.
            assertThat(world.get(b("n")).map(String::new)).contains("5");
            assertThat(world.get(b("a")).map(String::new)).contains("y");
        }
    }

    @Test
    void divergencesHaveStableCodes() {
        Recorder recorder = new Recorder(HostInputs.LIVE, Set.of(), 1 << 20);
        recorder.clock(HostCall.CLOCK_UNIX_NS);
        recorder.random(new byte[4]);
        List<JournalEntry> journal = recorder.journal();

        Replayer wrongCall = new Replayer(journal, Map.of());
        assertThatThrownBy(() -> wrongCall.random(new byte[4]))
                .isInstanceOf(ReplayDivergence.class);
        assertThat(wrongCall.divergence().code()).isEqualTo(Divergence.UNEXPECTED_CALL);
        // Once diverged, every later call ends the run too.
        assertThatThrownBy(() -> wrongCall.clock(HostCall.CLOCK_UNIX_NS))
                .isInstanceOf(ReplayDivergence.class);

        Replayer wrongLength = new Replayer(journal, Map.of());
        wrongLength.clock(HostCall.CLOCK_UNIX_NS);
        assertThatThrownBy(() -> wrongLength.random(new byte[5]))
                .isInstanceOf(ReplayDivergence.class);
        assertThat(wrongLength.divergence().code()).isEqualTo(Divergence.DIFFERENT_ARGUMENTS);
        assertThat(wrongLength.divergence().at()).isEqualTo(1);

        Replayer tooMany = new Replayer(journal, Map.of());
        tooMany.clock(HostCall.CLOCK_UNIX_NS);
        tooMany.random(new byte[4]);
        assertThatThrownBy(() -> tooMany.clock(HostCall.CLOCK_MONOTONIC_NS))
                .isInstanceOf(ReplayDivergence.class);
        assertThat(tooMany.divergence().code()).isEqualTo(Divergence.JOURNAL_EXHAUSTED);

        Replayer tooFew = new Replayer(journal, Map.of());
        tooFew.clock(HostCall.CLOCK_UNIX_NS);
        assertThat(tooFew.finish().code()).isEqualTo(Divergence.CALLS_NOT_MADE);

        Replayer otherKey =
                new Replayer(List.of(new JournalEntry.Config("A", "1", false)), Map.of());
        assertThatThrownBy(() -> otherKey.config("B", Map.of()))
                .isInstanceOf(ReplayDivergence.class);
        assertThat(otherKey.divergence().code()).isEqualTo(Divergence.DIFFERENT_ARGUMENTS);
    }

    @Test
    void aJournalPastItsCapIsDroppedWhole() {
        Recorder recorder = new Recorder(HostInputs.LIVE, Set.of(), 100);
        recorder.random(new byte[50]);
        assertThat(recorder.overflowed()).isFalse();
        recorder.random(new byte[50]);
        assertThat(recorder.overflowed()).isTrue();
        assertThat(recorder.journal()).isEmpty();
    }

    private static Recording recording(List<JournalEntry> journal) {
        return new Recording(
                "01JREQUEST0000000000000000",
                "shop",
                "orders",
                3,
                "ab".repeat(32),
                "kiln",
                "kiln_handle",
                64,
                1000,
                5_000_000,
                "http",
                1_700_000_000_000L,
                1_700_000_001_000L,
                new HttpRequestMeta(
                        "POST", "/x", "q=1", List.of(new Header("x-a", "1")), "HTTP/1.1", "::1"),
                b("payload"),
                List.of(new JournalEntry.Config("TOKEN", "t0p-secret", true)),
                journal,
                new Recording.Result(
                        "ok", 201, List.of(new Header("x-b", "2")), b("out"), 77, null),
                new OutboundLimits(3, 1000, 50_000, 2_000));
    }

    @Test
    void jsonKeepsSecretsSealedAtRestInClearForAnAdminAndRedactedForOthers() throws Exception {
        Recorder recorder = new Recorder(HostInputs.LIVE, Set.of("TOKEN"), 1 << 20);
        try (KvStore store = SqliteKvStore.open(data, KvLimits.DEFAULTS)) {
            guest(recorder, recorder.kv(store.bucket("shop")));
        }
        recorder.wasi(
                "clock_time_get",
                new long[] {0, 1, 1024},
                () -> new HostInputs.WasiAnswer(0, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, true));
        Recording r = recording(recorder.journal());
        try (Secrets secrets = Secrets.open(data)) {
            SecretSeal seal =
                    new SecretSeal() {
                        @Override
                        public Optional<String> seal(String plaintext) {
                            return Optional.of(secrets.sealCopy("recording", plaintext));
                        }

                        @Override
                        public Optional<String> open(String sealed) {
                            return secrets.openCopy("recording", sealed);
                        }
                    };
            byte[] stored = RecordingJson.write(r, RecordingJson.Secrets.SEALED, seal, null);
            String text = new String(stored, StandardCharsets.UTF_8);
            assertThat(text).doesNotContain("t0p").contains("\"sealed\"");
            Recording back = RecordingJson.read(stored, seal).recording();
            assertThat(back.journal()).hasSameSizeAs(r.journal());
            for (int i = 0; i < r.journal().size(); i++) {
                assertThat(back.journal().get(i).sameQuestion(r.journal().get(i))).isTrue();
            }
            assertThat(back.environment()).isEqualTo(r.environment());
            assertThat(back.secretsRedacted()).isFalse();
            assertThat(back.http()).isEqualTo(r.http());
            assertThat(back.result().headers()).isEqualTo(r.result().headers());
            // What came back replays to the end.
            Replayer replayer = new Replayer(back.journal(), Map.of());
            guest(replayer, replayer.kv());
            assertThat(
                            replayer.wasi("clock_time_get", new long[] {0, 1, 1024}, () -> null)
                                    .written())
                    .containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
            assertThat(replayer.finish()).isNull();

            // Sealed under a key this host does not have: reads as redacted, never fails.
            Recording elsewhere = RecordingJson.read(stored, SecretSeal.NONE).recording();
            assertThat(elsewhere.secretsRedacted()).isTrue();

            byte[] clear = RecordingJson.write(r, RecordingJson.Secrets.CLEAR, seal, b("wasm"));
            assertThat(new String(clear, StandardCharsets.UTF_8)).contains("t0p-secret");
            RecordingJson.Read read = RecordingJson.read(clear, SecretSeal.NONE);
            assertThat(read.module()).isEqualTo(b("wasm"));
            assertThat(read.recording().secretsRedacted()).isFalse();

            byte[] redacted = RecordingJson.write(r, RecordingJson.Secrets.REDACTED, seal, null);
            assertThat(new String(redacted, StandardCharsets.UTF_8))
                    .doesNotContain("t0p")
                    .contains("\"redacted\":true");
            Recording noSecrets = RecordingJson.read(redacted, SecretSeal.NONE).recording();
            assertThat(noSecrets.secretsRedacted()).isTrue();
            Replayer withOverride = new Replayer(noSecrets.journal(), Map.of("TOKEN", "given"));
            withOverride.clock(HostCall.CLOCK_UNIX_NS);
            withOverride.clock(HostCall.CLOCK_MONOTONIC_NS);
            withOverride.random(new byte[8]);
            assertThat(withOverride.config("GREETING", Map.of())).isEqualTo("hi");
            assertThat(withOverride.config("TOKEN", Map.of())).isEqualTo("given");
        }
    }

    private static final String API_KEY = "k3y-in-a-header";

    private static dev.kiln.abi.OutboundRequest request(String url, byte[] body) {
        return new dev.kiln.abi.OutboundRequest(
                "POST", url, List.of(new Header("authorization", "Bearer " + API_KEY)), body);
    }

    @Test
    void httpEntriesKeepTheRequestSealedWithSecretsAndReplayByDigest() throws Exception {
        var small = request("https://api.example.com/a?key=" + API_KEY, b("small body"));
        var large = request("https://api.example.com/b", new byte[5000]);
        List<JournalEntry> journal =
                List.of(
                        JournalEntry.Http.question(small, true)
                                .answered(
                                        new dev.kiln.abi.OutboundResponse(
                                                200, List.of(new Header("x-r", "1")), b("answer"))),
                        JournalEntry.Http.question(large, true)
                                .failed(dev.kiln.abi.OutboundException.Kind.TIMEOUT.name(), "slow"),
                        JournalEntry.Http.question(small, true)
                                .failed(JournalEntry.Http.DEADLINE, null));
        var h = (JournalEntry.Http) journal.get(1);
        assertThat(h.body()).isNull(); // over INLINE_BODY_BYTES: by length and digest
        assertThat(h.bodyBytes()).isEqualTo(5000);
        Recording r = recording(journal);
        try (Secrets secrets = Secrets.open(data)) {
            SecretSeal seal =
                    new SecretSeal() {
                        @Override
                        public Optional<String> seal(String plaintext) {
                            return Optional.of(secrets.sealCopy("recording", plaintext));
                        }

                        @Override
                        public Optional<String> open(String sealed) {
                            return secrets.openCopy("recording", sealed);
                        }
                    };
            byte[] stored = RecordingJson.write(r, RecordingJson.Secrets.SEALED, seal, null);
            assertThat(new String(stored, StandardCharsets.UTF_8))
                    .doesNotContain(API_KEY)
                    .contains("\"kind\":\"http\"", "\"sealed\"");
            Recording back = RecordingJson.read(stored, seal).recording();
            assertThat(back.outboundLimits()).isEqualTo(r.outboundLimits());
            var first = (JournalEntry.Http) back.journal().get(0);
            assertThat(first.url()).contains(API_KEY);
            assertThat(first.body()).isEqualTo(b("small body"));

            byte[] clear = RecordingJson.write(r, RecordingJson.Secrets.CLEAR, seal, null);
            assertThat(new String(clear, StandardCharsets.UTF_8)).contains(API_KEY);
            byte[] redacted = RecordingJson.write(r, RecordingJson.Secrets.REDACTED, seal, null);
            assertThat(new String(redacted, StandardCharsets.UTF_8)).doesNotContain(API_KEY);
            Recording withoutRequests = RecordingJson.read(redacted, SecretSeal.NONE).recording();
            assertThat(((JournalEntry.Http) withoutRequests.journal().get(0)).url()).isNull();

            // Redacted or not, a replay recognises the requests by their digest and answers them.
            for (Recording rec : List.of(back, withoutRequests)) {
                var replayer = new Replayer(rec.journal(), Map.of());
                var http = replayer.outbound(rec.outboundLimits());
                assertThat(http.limits().maxRequestsPerInvocation()).isEqualTo(3);
                var response = http.send(small);
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.body()).isEqualTo(b("answer"));
                assertThatThrownBy(() -> http.send(large))
                        .isInstanceOf(dev.kiln.abi.OutboundException.class)
                        .hasMessage("slow");
                assertThatThrownBy(() -> http.send(small))
                        .isInstanceOf(dev.kiln.abi.HostDeadlineException.class);
                assertThat(replayer.finish()).isNull();
            }
        }
        // Another header value is another request: a divergence, and nothing is sent.
        var replayer = new Replayer(journal, Map.of());
        var other =
                new dev.kiln.abi.OutboundRequest(
                        "POST",
                        small.url(),
                        List.of(new Header("authorization", "Bearer other")),
                        small.body());
        assertThatThrownBy(() -> replayer.outbound(r.outboundLimits()).send(other))
                .isInstanceOf(ReplayDivergence.class);
        assertThat(replayer.divergence().code()).isEqualTo(Divergence.DIFFERENT_ARGUMENTS);
    }

    @Test
    void somethingThatIsNoRecordingIsRefused() {
        assertThatThrownBy(() -> RecordingJson.read(b("[]"), SecretSeal.NONE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RecordingJson.read(b("{\"kilnRecording\":2}"), SecretSeal.NONE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("format 2");
        assertThatThrownBy(
                        () ->
                                RecordingJson.read(
                                        b("{\"kilnRecording\":1,\"requestId\":5}"),
                                        SecretSeal.NONE))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
