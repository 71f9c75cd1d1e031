package dev.kiln.host.replay;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One answer the host gave a guest during a recorded invocation, in call order. A replay hands the
 * answers back in the same order; the guest must ask the same call with the same arguments ({@link
 * #sameQuestion}), else the replay has diverged.
 */
public sealed interface JournalEntry {
    /** The host call's name, as the guest imports it. */
    String call();

    /** Bytes this entry holds, for the recording's size cap. */
    long size();

    /** Whether {@code other} asks the same call with the same arguments (answers aside). */
    boolean sameQuestion(JournalEntry other);

    /** {@code clock_unix_ns} or {@code clock_monotonic_ns}. */
    record Clock(String call, long value) implements JournalEntry {
        @Override
        public long size() {
            return 16;
        }

        @Override
        public boolean sameQuestion(JournalEntry other) {
            return other instanceof Clock c && c.call.equals(call);
        }
    }

    /** {@code random_fill}: the bytes handed out (their length is the question). */
    record Random(byte[] bytes) implements JournalEntry {
        @Override
        public String call() {
            return "random_fill";
        }

        @Override
        public long size() {
            return 16L + bytes.length;
        }

        @Override
        public boolean sameQuestion(JournalEntry other) {
            return other instanceof Random r && r.bytes.length == bytes.length;
        }
    }

    /**
     * {@code config_get}.
     *
     * @param value null when the key was not set
     * @param secret whether the value is one of the function's secrets: sealed at rest, redacted in
     *     an export unless an administrator asks
     */
    record Config(String key, String value, boolean secret) implements JournalEntry {
        @Override
        public String call() {
            return "config_get";
        }

        @Override
        public long size() {
            return 16L + key.length() + (value == null ? 0 : value.length());
        }

        @Override
        public boolean sameQuestion(JournalEntry other) {
            return other instanceof Config c && c.key.equals(key);
        }
    }

    /**
     * A key-value call (its question: the key, value, prefix, after or expected bytes, and the TTL,
     * delta or page size; {@code null} in {@code args} is "absent") and its answer: an error kind,
     * or the result as bytes (a value, a {@code kv_list} page) and a number (an increment's sum, 1
     * or 0 for a delete or swap, whether a get found the key).
     */
    record Kv(
            String call,
            List<byte[]> args,
            long number,
            String error,
            byte[] resultBytes,
            long resultNumber)
            implements JournalEntry {
        public Kv {
            args = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(args));
        }

        @Override
        public long size() {
            long n = 32L + (resultBytes == null ? 0 : resultBytes.length);
            for (byte[] a : args) {
                n += a == null ? 0 : a.length;
            }
            return n;
        }

        @Override
        public boolean sameQuestion(JournalEntry other) {
            if (!(other instanceof Kv k) || !k.call.equals(call) || k.number != number) {
                return false;
            }
            if (k.args.size() != args.size()) {
                return false;
            }
            for (int i = 0; i < args.size(); i++) {
                if (!Arrays.equals(args.get(i), k.args.get(i))) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * A WASI call whose answer is an errno and bytes written at its result pointer ({@code
     * clock_time_get}, {@code random_get}).
     */
    record Wasi(String call, long[] args, int errno, byte[] written) implements JournalEntry {
        public Wasi {
            Objects.requireNonNull(call, "call");
            args = args.clone();
        }

        @Override
        public long size() {
            return 32L + 8L * args.length + written.length;
        }

        @Override
        public boolean sameQuestion(JournalEntry other) {
            return other instanceof Wasi w && w.call.equals(call) && Arrays.equals(w.args, args);
        }
    }
}
