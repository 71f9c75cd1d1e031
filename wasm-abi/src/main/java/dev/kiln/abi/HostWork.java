package dev.kiln.abi;

/**
 * Meters the work the host does for a guest inside host calls, so that it is paid for and bounded
 * like the guest's own instructions (wasm-abi/ABI.md, "Host work"):
 *
 * <ul>
 *   <li>every host call costs {@link #FUEL_PER_CALL} fuel, every byte the host moves between itself
 *       and guest memory one unit per {@link #BYTES_PER_FUEL} bytes (as {@code memory.copy} does),
 *       and every random byte {@link #FUEL_PER_RANDOM_BYTE}, charged before the work is done: the
 *       same calls on the same input always burn the same fuel;
 *   <li>the bytes of one invocation's host calls are capped ({@link
 *       EffectLimits#maxHostBytesPerInvocation}), whatever the fuel budget;
 *   <li>the deadline, which the host enforces by interrupting the thread, is checked at every call
 *       and between the chunks of a long one: a runtime notices an interrupt only in guest code.
 * </ul>
 *
 * <p>Not thread-safe: one invocation runs on one thread.
 */
public final class HostWork {
    /** Fuel every host call costs, whatever it does. */
    public static final long FUEL_PER_CALL = 100;

    /** Host bytes pay one fuel unit per this many bytes (rounded up per charge). */
    public static final int BYTES_PER_FUEL = 8;

    /**
     * Fuel per random byte generated: the host's cryptographically strong generator makes about 40
     * MB/s on the reference machine (25 ns a byte), two orders of magnitude slower than a copy.
     */
    public static final long FUEL_PER_RANDOM_BYTE = 16;

    /** The guest's fuel counter, as the runtime keeps it. */
    public interface FuelTank {
        long get();

        void set(long value);
    }

    /** A tank that never runs dry: for callers that do not meter fuel (tests, tools). */
    public static final FuelTank UNMETERED =
            new FuelTank() {
                @Override
                public long get() {
                    return Long.MAX_VALUE / 2;
                }

                @Override
                public void set(long value) {}
            };

    private final FuelTank fuel;
    private final int maxBytesPerCall;
    private final long maxBytesPerInvocation;
    private long bytes;

    public HostWork(FuelTank fuel, EffectLimits limits) {
        this.fuel = fuel;
        this.maxBytesPerCall = limits.maxHostBytesPerCall();
        this.maxBytesPerInvocation = limits.maxHostBytesPerInvocation();
    }

    /** Bytes one call may move; past it a call is cut short or refused. */
    public int maxBytesPerCall() {
        return maxBytesPerCall;
    }

    /** Bytes charged so far. */
    public long bytes() {
        return bytes;
    }

    /**
     * At the start of every host call: checks the deadline, then charges the call's fixed cost.
     *
     * @throws HostDeadlineException when the deadline has passed
     * @throws HostFuelExhaustedException when the call's cost leaves the fuel below zero
     */
    public void enterCall() {
        checkDeadline();
        burn(FUEL_PER_CALL);
    }

    /**
     * Charges {@code n} bytes of host work before it is done: against the invocation's byte cap,
     * then as fuel; then checks the deadline. Call it per chunk of a long operation.
     *
     * @throws HostWorkLimitException when the invocation's host bytes would pass their cap
     * @throws HostFuelExhaustedException when the fuel goes below zero
     * @throws HostDeadlineException when the deadline has passed
     */
    public void bytes(long n) {
        if (n <= 0) {
            return;
        }
        count(n);
        burn((n + BYTES_PER_FUEL - 1) / BYTES_PER_FUEL);
        checkDeadline();
    }

    /**
     * Charges {@code n} random bytes before they are generated, like {@link #bytes} but at {@link
     * #FUEL_PER_RANDOM_BYTE}.
     */
    public void random(long n) {
        if (n <= 0) {
            return;
        }
        count(n);
        burn(n * FUEL_PER_RANDOM_BYTE);
        checkDeadline();
    }

    private void count(long n) {
        if (n > maxBytesPerInvocation - bytes) {
            bytes = maxBytesPerInvocation;
            throw new HostWorkLimitException(maxBytesPerInvocation);
        }
        bytes += n;
    }

    /**
     * Ends the call if the thread's deadline interrupt has arrived. Leaves the interrupt flag set:
     * whoever classifies the failure clears it.
     */
    public static void checkDeadline() {
        if (Thread.currentThread().isInterrupted()) {
            throw new HostDeadlineException();
        }
    }

    private void burn(long units) {
        long left = fuel.get() - units;
        fuel.set(left);
        if (left < 0) {
            // The tank stays below zero: that is how the host tells fuel_exhausted.
            throw new HostFuelExhaustedException();
        }
    }
}
