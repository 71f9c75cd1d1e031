package dev.kiln.host.replay;

import dev.kiln.abi.HostCall;
import dev.kiln.abi.HostDeadlineException;
import dev.kiln.abi.HostInputs;
import dev.kiln.abi.KvBucket;
import dev.kiln.abi.KvException;
import dev.kiln.abi.OutboundException;
import dev.kiln.abi.OutboundHttp;
import dev.kiln.abi.OutboundLimits;
import dev.kiln.abi.OutboundRequest;
import dev.kiln.abi.OutboundResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Answers a guest's nondeterministic calls from the world and writes every answer down, in order:
 * the journal of one invocation. Buffered in memory while the invocation runs; the invoker keeps it
 * only when the function's {@link RecordMode} says so. Past {@code maxBytes} it stops writing and
 * reports {@link #overflowed()}: such an invocation is not kept (a recording with a hole would
 * replay wrong). One invocation, one thread.
 */
public final class Recorder implements HostInputs {
    private final HostInputs live;
    private final Set<String> secretNames;
    private final long maxBytes;
    private final List<JournalEntry> journal = new ArrayList<>();
    private long bytes;
    private boolean overflowed;

    /**
     * @param secretNames which config keys are secrets (their values are sealed at rest)
     * @param maxBytes most bytes the journal may hold
     */
    public Recorder(HostInputs live, Set<String> secretNames, long maxBytes) {
        this.live = live;
        this.secretNames = secretNames;
        this.maxBytes = maxBytes;
    }

    /** The answers so far, in call order. */
    public List<JournalEntry> journal() {
        return List.copyOf(journal);
    }

    /** Bytes the journal holds. */
    public long bytes() {
        return bytes;
    }

    /** Whether the journal outgrew its cap: the invocation cannot be kept. */
    public boolean overflowed() {
        return overflowed;
    }

    private void add(JournalEntry e) {
        if (overflowed) {
            return;
        }
        bytes += e.size();
        if (bytes > maxBytes) {
            overflowed = true;
            journal.clear(); // nothing of it will be kept: give the memory back now
            return;
        }
        journal.add(e);
    }

    @Override
    public long clock(HostCall which) {
        long v = live.clock(which);
        add(new JournalEntry.Clock(which.importName(), v));
        return v;
    }

    @Override
    public void random(byte[] into) {
        live.random(into);
        add(new JournalEntry.Random(into.clone()));
    }

    @Override
    public String config(String key, Map<String, String> config) {
        String v = live.config(key, config);
        add(new JournalEntry.Config(key, v, v != null && secretNames.contains(key)));
        return v;
    }

    @Override
    public WasiAnswer wasi(String name, long[] args, Supplier<WasiAnswer> liveCall) {
        WasiAnswer a = live.wasi(name, args, liveCall);
        add(new JournalEntry.Wasi(name, args, a.errno(), a.written()));
        return a;
    }

    /** {@code bucket} with every call and its answer (or error) written down. */
    public KvBucket kv(KvBucket bucket) {
        return new RecordingBucket(bucket);
    }

    /**
     * {@code live} with every request written down with its response or failure ({@link
     * JournalEntry.Http}). The response is kept as the guest got it, whole: a large one can take
     * the journal past its cap, and then the run is not kept.
     */
    public OutboundHttp outbound(OutboundHttp live) {
        return new RecordingOutbound(live);
    }

    private final class RecordingOutbound implements OutboundHttp {
        private final OutboundHttp live;

        RecordingOutbound(OutboundHttp live) {
            this.live = live;
        }

        @Override
        public OutboundLimits limits() {
            return live.limits();
        }

        @Override
        public OutboundResponse send(OutboundRequest request) {
            // With secrets, any part of a request may carry one: sealed like a secret's value.
            JournalEntry.Http question =
                    JournalEntry.Http.question(request, !secretNames.isEmpty());
            try {
                OutboundResponse response = live.send(request);
                add(question.answered(response));
                return response;
            } catch (OutboundException e) {
                add(question.failed(e.kind().name(), e.getMessage()));
                throw e;
            } catch (HostDeadlineException e) {
                add(question.failed(JournalEntry.Http.DEADLINE, null));
                throw e;
            }
        }
    }

    private final class RecordingBucket implements KvBucket {
        private final KvBucket bucket;

        RecordingBucket(KvBucket bucket) {
            this.bucket = bucket;
        }

        private void fail(String call, List<byte[]> args, long number, KvException e) {
            add(new JournalEntry.Kv(call, args, number, e.kind().name(), null, 0));
        }

        @Override
        public Optional<byte[]> get(byte[] key) {
            List<byte[]> args = List.of(key.clone());
            try {
                Optional<byte[]> v = bucket.get(key);
                add(
                        new JournalEntry.Kv(
                                "kv_get", args, 0, null, v.orElse(null), v.isPresent() ? 1 : 0));
                return v;
            } catch (KvException e) {
                fail("kv_get", args, 0, e);
                throw e;
            }
        }

        @Override
        public void set(byte[] key, byte[] value, long ttlMillis) {
            List<byte[]> args = List.of(key.clone(), value.clone());
            try {
                bucket.set(key, value, ttlMillis);
                add(new JournalEntry.Kv("kv_set", args, ttlMillis, null, null, 0));
            } catch (KvException e) {
                fail("kv_set", args, ttlMillis, e);
                throw e;
            }
        }

        @Override
        public boolean delete(byte[] key) {
            List<byte[]> args = List.of(key.clone());
            try {
                boolean r = bucket.delete(key);
                add(new JournalEntry.Kv("kv_delete", args, 0, null, null, r ? 1 : 0));
                return r;
            } catch (KvException e) {
                fail("kv_delete", args, 0, e);
                throw e;
            }
        }

        @Override
        public List<byte[]> list(byte[] prefix, byte[] after, int limit) {
            List<byte[]> args = List.of(prefix.clone(), after.clone());
            try {
                List<byte[]> keys = bucket.list(prefix, after, limit);
                add(
                        new JournalEntry.Kv(
                                "kv_list",
                                args,
                                limit,
                                null,
                                KvBucket.encodePage(keys),
                                keys.size()));
                return keys;
            } catch (KvException e) {
                fail("kv_list", args, limit, e);
                throw e;
            }
        }

        @Override
        public long increment(byte[] key, long delta) {
            List<byte[]> args = List.of(key.clone());
            try {
                long sum = bucket.increment(key, delta);
                add(new JournalEntry.Kv("kv_increment", args, delta, null, null, sum));
                return sum;
            } catch (KvException e) {
                fail("kv_increment", args, delta, e);
                throw e;
            }
        }

        @Override
        public boolean compareAndSwap(byte[] key, byte[] expected, byte[] value) {
            List<byte[]> args =
                    Arrays.asList(
                            key.clone(), expected == null ? null : expected.clone(), value.clone());
            try {
                boolean r = bucket.compareAndSwap(key, expected, value);
                add(new JournalEntry.Kv("kv_compare_and_swap", args, 0, null, null, r ? 1 : 0));
                return r;
            } catch (KvException e) {
                fail("kv_compare_and_swap", args, 0, e);
                throw e;
            }
        }
    }
}
