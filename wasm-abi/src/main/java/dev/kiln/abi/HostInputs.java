package dev.kiln.abi;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Where the answers to a guest's nondeterministic host calls come from (wasm-abi/ABI.md section 7):
 * the clocks, randomness, config lookups and the WASI calls that only write a value into memory
 * ({@code clock_time_get}, {@code random_get}). The key-value store is the context's {@link
 * KvBucket}, which a recorder or a replay wraps the same way.
 *
 * <p>{@link #LIVE} answers from the world. A recorder answers from the world and writes every
 * answer down; a replay answers from what was written down and never asks the world
 * (docs/adr/0041). One instance serves one invocation, on one thread.
 */
public interface HostInputs {
    /** The world itself: the system clocks, a strong random source, the config map. */
    HostInputs LIVE = new Live();

    /** The value of {@link HostCall#CLOCK_UNIX_NS} or {@link HostCall#CLOCK_MONOTONIC_NS}. */
    long clock(HostCall which);

    /** Fills {@code into} with random bytes ({@code random_fill}). */
    void random(byte[] into);

    /** What {@code config_get} returns for {@code key}: a value of {@code config}, or null. */
    String config(String key, Map<String, String> config);

    /**
     * A WASI call whose only effect is an errno and bytes written at one place in guest memory.
     *
     * @param name the WASI function, e.g. {@code clock_time_get}
     * @param args its arguments (what a replay compares)
     * @param live runs the call for real and reports what it wrote
     * @return what the guest gets: for a replay the recorded answer, which the caller writes into
     *     memory itself ({@link WasiAnswer#fromLiveCall()} is false)
     */
    WasiAnswer wasi(String name, long[] args, Supplier<WasiAnswer> live);

    /**
     * The outcome of a WASI call of {@link #wasi}.
     *
     * @param errno what the call returned
     * @param written the bytes it wrote at its result pointer (empty when it failed)
     * @param fromLiveCall whether the call ran for real (then memory already holds {@code written})
     */
    record WasiAnswer(int errno, byte[] written, boolean fromLiveCall) {}

    /** {@link #LIVE}'s class. */
    final class Live implements HostInputs {
        private static final SecureRandom RANDOM = new SecureRandom();

        private Live() {}

        @Override
        public long clock(HostCall which) {
            if (which == HostCall.CLOCK_MONOTONIC_NS) {
                return System.nanoTime();
            }
            Instant now = Instant.now();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        }

        @Override
        public void random(byte[] into) {
            RANDOM.nextBytes(into);
        }

        @Override
        public String config(String key, Map<String, String> config) {
            return config.get(key);
        }

        @Override
        public WasiAnswer wasi(String name, long[] args, Supplier<WasiAnswer> live) {
            return live.get();
        }
    }
}
