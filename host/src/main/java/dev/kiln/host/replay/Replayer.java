package dev.kiln.host.replay;

import dev.kiln.abi.HostCall;
import dev.kiln.abi.HostInputs;
import dev.kiln.abi.KvBucket;
import dev.kiln.abi.KvException;
import dev.kiln.abi.OutboundHttp;
import dev.kiln.abi.OutboundLimits;
import dev.kiln.abi.OutboundRequest;
import dev.kiln.abi.OutboundResponse;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Answers a guest's nondeterministic calls from a recorded journal, in order, and never from the
 * world: no clock or random source is read, no key-value store is touched, nothing is sent. A call
 * that is not the next recorded one, or asks it with other arguments, ends the run with a {@link
 * Divergence} ({@link ReplayDivergence} is thrown into the guest's stack). One run, one thread.
 */
public final class Replayer implements HostInputs {
    private final List<JournalEntry> journal;
    private final Map<String, String> secretOverrides;
    private int next;
    private Divergence divergence;

    /**
     * @param secretOverrides values for secrets the recording holds redacted (from {@code kiln
     *     replay --secret}); a redacted secret without one is answered as not set
     */
    public Replayer(List<JournalEntry> journal, Map<String, String> secretOverrides) {
        this.journal = List.copyOf(journal);
        this.secretOverrides = Map.copyOf(secretOverrides);
    }

    /** The divergence that ended the run, or null. */
    public Divergence divergence() {
        return divergence;
    }

    /** The divergence, counting recorded calls the run never made (call once the run is over). */
    public Divergence finish() {
        if (divergence == null && next < journal.size()) {
            divergence =
                    new Divergence(
                            Divergence.CALLS_NOT_MADE,
                            "the guest finished after "
                                    + next
                                    + " of "
                                    + journal.size()
                                    + " recorded calls; the next was "
                                    + journal.get(next).call(),
                            next);
        }
        return divergence;
    }

    /** The recorded answer to {@code question}, or a divergence. */
    private <T extends JournalEntry> T take(T question, Class<T> type) {
        if (divergence != null) {
            throw new ReplayDivergence(divergence);
        }
        if (next >= journal.size()) {
            throw diverge(
                    Divergence.JOURNAL_EXHAUSTED,
                    "the guest called "
                            + question.call()
                            + " after all "
                            + journal.size()
                            + " recorded calls");
        }
        JournalEntry recorded = journal.get(next);
        if (!recorded.call().equals(question.call())) {
            throw diverge(
                    Divergence.UNEXPECTED_CALL,
                    "call "
                            + next
                            + ": the recording has "
                            + recorded.call()
                            + ", the guest called "
                            + question.call());
        }
        if (!type.isInstance(recorded) || !recorded.sameQuestion(question)) {
            throw diverge(
                    Divergence.DIFFERENT_ARGUMENTS,
                    "call "
                            + next
                            + ": the guest called "
                            + question.call()
                            + " with other arguments than recorded");
        }
        next++;
        return type.cast(recorded);
    }

    private ReplayDivergence diverge(String code, String message) {
        divergence = new Divergence(code, message, next);
        return new ReplayDivergence(divergence);
    }

    @Override
    public long clock(HostCall which) {
        return take(new JournalEntry.Clock(which.importName(), 0), JournalEntry.Clock.class)
                .value();
    }

    @Override
    public void random(byte[] into) {
        byte[] recorded =
                take(new JournalEntry.Random(new byte[into.length]), JournalEntry.Random.class)
                        .bytes();
        System.arraycopy(recorded, 0, into, 0, into.length);
    }

    @Override
    public String config(String key, Map<String, String> config) {
        JournalEntry.Config c =
                take(new JournalEntry.Config(key, null, false), JournalEntry.Config.class);
        if (c.secret() && c.value() == null) {
            return secretOverrides.get(key); // redacted in this export
        }
        return c.value();
    }

    @Override
    public WasiAnswer wasi(String name, long[] args, Supplier<WasiAnswer> live) {
        JournalEntry.Wasi w =
                take(new JournalEntry.Wasi(name, args, 0, new byte[0]), JournalEntry.Wasi.class);
        return new WasiAnswer(w.errno(), w.written().clone(), false);
    }

    /** A key-value store that answers from the journal and never touches a real one. */
    public KvBucket kv() {
        return new ReplayBucket();
    }

    /**
     * Outbound HTTP that answers from the journal and never connects: a request is the next
     * recorded one or a divergence ({@code different_arguments} when its method, URL, header fields
     * or body differ).
     *
     * @param limits the limits the recorded run had, so the ABI's own checks refuse the same calls
     */
    public OutboundHttp outbound(OutboundLimits limits) {
        return new OutboundHttp() {
            @Override
            public OutboundLimits limits() {
                return limits;
            }

            @Override
            public OutboundResponse send(OutboundRequest request) {
                return take(JournalEntry.Http.question(request, false), JournalEntry.Http.class)
                        .response();
            }
        };
    }

    private final class ReplayBucket implements KvBucket {
        private JournalEntry.Kv answer(String call, List<byte[]> args, long number) {
            JournalEntry.Kv k =
                    take(
                            new JournalEntry.Kv(call, args, number, null, null, 0),
                            JournalEntry.Kv.class);
            if (k.error() != null) {
                throw new KvException(KvException.Kind.valueOf(k.error()), "recorded failure");
            }
            return k;
        }

        @Override
        public Optional<byte[]> get(byte[] key) {
            JournalEntry.Kv k = answer("kv_get", List.of(key), 0);
            return k.resultNumber() == 1
                    ? Optional.of(k.resultBytes() == null ? new byte[0] : k.resultBytes().clone())
                    : Optional.empty();
        }

        @Override
        public void set(byte[] key, byte[] value, long ttlMillis) {
            answer("kv_set", List.of(key, value), ttlMillis);
        }

        @Override
        public boolean delete(byte[] key) {
            return answer("kv_delete", List.of(key), 0).resultNumber() == 1;
        }

        @Override
        public List<byte[]> list(byte[] prefix, byte[] after, int limit) {
            JournalEntry.Kv k = answer("kv_list", List.of(prefix, after), limit);
            return KvPages.decode(k.resultBytes() == null ? new byte[0] : k.resultBytes());
        }

        @Override
        public long increment(byte[] key, long delta) {
            return answer("kv_increment", List.of(key), delta).resultNumber();
        }

        @Override
        public boolean compareAndSwap(byte[] key, byte[] expected, byte[] value) {
            return answer("kv_compare_and_swap", Arrays.asList(key, expected, value), 0)
                            .resultNumber()
                    == 1;
        }
    }
}
