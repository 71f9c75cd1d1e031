package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.runtime.WasmException;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import dev.kiln.abi.AbiViolationException;
import dev.kiln.abi.HostCallLimitException;
import dev.kiln.abi.HostDeadlineException;
import dev.kiln.abi.HostFuelExhaustedException;
import dev.kiln.abi.HostWorkLimitException;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.core.KilnException;

/**
 * Maps whatever escaped guest code to an outcome. Messages shown to clients are fixed phrases or
 * the ABI's own descriptions, never a Java exception's text about host internals.
 */
public final class GuestFailures {
    private GuestFailures() {}

    /**
     * Rethrows {@code t} if it is the host's problem rather than the guest's: a VM error other than
     * StackOverflowError (deep guest recursion) or OutOfMemoryError (an outcome too).
     */
    public static void rethrowIfHostFatal(Throwable t) {
        if (t instanceof VirtualMachineError e
                && !(t instanceof StackOverflowError)
                && !(t instanceof OutOfMemoryError)) {
            throw e;
        }
    }

    /**
     * Classifies {@code t}; also clears the thread's interrupt flag, which Chicory leaves set, so
     * the worker thread can serve the next invocation.
     */
    public static InvocationOutcome.Failure classify(Throwable t) {
        boolean interrupted = Thread.interrupted();
        if (t instanceof ChicoryInterruptedException
                || t instanceof InterruptedException
                || causedBy(t, HostDeadlineException.class)
                || (interrupted && t instanceof ChicoryException)) {
            return new InvocationOutcome.Timeout("the function did not finish before its deadline");
        }
        // Host work (docs/adr/0027): thrown by a host call, possibly wrapped by the runtime.
        if (causedBy(t, HostFuelExhaustedException.class)) {
            return new InvocationOutcome.OutOfFuel("the function used up its fuel budget");
        }
        if (causedBy(t, HostWorkLimitException.class)) {
            return new InvocationOutcome.OutputLimit(cause(t, HostWorkLimitException.class));
        }
        if (t instanceof AbiViolationException e) {
            return new InvocationOutcome.AbiViolation(e.getMessage());
        }
        if (t instanceof HostCallLimitException e) {
            return new InvocationOutcome.AbiViolation(e.getMessage());
        }
        if (t instanceof StackOverflowError || causedByStackOverflow(t)) {
            return new InvocationOutcome.StackExhausted("the function exhausted its call stack");
        }
        if (t instanceof KilnException e) {
            return new InvocationOutcome.Trap(e.getMessage());
        }
        if (t instanceof WasmException) {
            // A guest's exception (throw) that no try_table caught.
            return new InvocationOutcome.Trap("wasm trap: uncaught exception");
        }
        if (t instanceof TrapException) {
            return new InvocationOutcome.Trap("wasm trap: unreachable executed");
        }
        if (t instanceof WasmRuntimeException || t instanceof ChicoryException) {
            return new InvocationOutcome.Trap("wasm trap: " + trapPhrase(t.getMessage()));
        }
        if (t instanceof ArithmeticException) {
            return new InvocationOutcome.Trap("wasm trap: " + trapPhrase(t.getMessage()));
        }
        if (t instanceof IndexOutOfBoundsException) {
            return new InvocationOutcome.Trap("wasm trap: out of bounds memory access");
        }
        if (t instanceof OutOfMemoryError) {
            return new InvocationOutcome.MemoryLimit("the function ran out of memory");
        }
        return new InvocationOutcome.Trap("wasm trap");
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        return cause(t, type) != null;
    }

    /** The message of the first {@code type} in {@code t}'s cause chain, or null. */
    // A throwable that is its own cause ends the chain; identity is the point.
    @SuppressWarnings("ReferenceEquality")
    private static String cause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return c.getMessage();
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return null;
    }

    /**
     * A trap that the memory cap caused becomes {@code memory_limit}, keeping the trap's kind in
     * the message: the guest asked {@code memory.grow} for more than the cap allows during this
     * invocation (Rust and C runtimes then abort with {@code unreachable}), or it trapped with its
     * memory at the cap. Other outcomes are returned unchanged.
     *
     * @param refusedGrowPages pages asked for by the largest grow the cap refused, or 0
     */
    public static InvocationOutcome atMemoryCap(
            InvocationOutcome outcome, int refusedGrowPages, int pages, int maxPages) {
        if (!(outcome instanceof InvocationOutcome.Trap trap)) {
            return outcome;
        }
        String cap = "the memoryMiB cap (" + (maxPages / 16) + " MiB)";
        if (refusedGrowPages > 0) {
            return new InvocationOutcome.MemoryLimit(
                    "memory.grow of "
                            + refusedGrowPages
                            + " pages was refused at "
                            + cap
                            + ", then the function trapped: "
                            + trap.message());
        }
        if (pages >= maxPages) {
            return new InvocationOutcome.MemoryLimit(
                    "the function trapped with its memory at " + cap + ": " + trap.message());
        }
        return outcome;
    }

    // A throwable that is its own cause ends the chain; identity is the point.
    @SuppressWarnings("ReferenceEquality")
    private static boolean causedByStackOverflow(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof StackOverflowError) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    /** Chicory's trap messages are short Wasm spec phrases; keep only those we recognise. */
    private static String trapPhrase(String message) {
        if (message == null) {
            return "runtime error";
        }
        String m = message.toLowerCase(java.util.Locale.ROOT);
        for (String phrase :
                new String[] {
                    "integer divide by zero",
                    "integer overflow",
                    "out of bounds memory access",
                    "out of bounds table access",
                    "undefined element",
                    "uninitialized element",
                    "indirect call type mismatch",
                    "invalid conversion to integer",
                    "null reference",
                    "unreachable",
                    "call stack exhausted"
                }) {
            if (m.contains(phrase)) {
                return phrase;
            }
        }
        return "runtime error";
    }
}
