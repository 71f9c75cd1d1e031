package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import dev.kiln.abi.AbiV1;
import dev.kiln.abi.GuestEffects;
import dev.kiln.abi.HostCalls;
import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.InvocationOutcome;
import java.util.List;

/**
 * One live guest instance, of either ABI: a kiln module's (its handler called with the payload) or
 * a wasi-cgi command's ({@code _start} run by {@link WasiCgiRun} with the imports bound per
 * invocation). Serves one invocation at a time; after any failure its state is suspect and {@link
 * #reusable()} turns false.
 */
public final class GuestInstance {
    private final Instance instance;
    private final ResettableMemory linear;
    private final InstanceSnapshot snapshot;
    private final ChicoryMemory memory;
    private final GuestFuel fuel;
    private final int maxPages;
    private final HostCalls calls;
    private final ExportFunction alloc;
    private final ExportFunction handle;

    /** A wasi-cgi command's switchable imports; null for a kiln module. */
    private final CommandImports command;

    private final CompiledModule module;

    /** A command's WASI kept from run to run; made at first use, again once spent. */
    private ReusableWasi wasi;

    private boolean reusable = true;

    GuestInstance(
            Instance instance,
            ResettableMemory linear,
            ChicoryMemory memory,
            HostCalls calls,
            String handler,
            InstanceSnapshot snapshot,
            GuestFuel fuel,
            int maxPages,
            CompiledModule module,
            CommandImports command) {
        this.fuel = fuel;
        this.maxPages = maxPages;
        this.instance = instance;
        this.linear = linear;
        this.snapshot = snapshot;
        this.memory = memory;
        this.calls = calls;
        this.module = module;
        this.command = command;
        this.alloc = command == null ? instance.export(AbiV1.EXPORT_ALLOC) : null;
        this.handle = command == null ? instance.export(handler) : null;
    }

    /** Whether this is a wasi-cgi command's instance (run it with {@link WasiCgiRun}). */
    public boolean isCommand() {
        return command != null;
    }

    Instance chicory() {
        return instance;
    }

    ResettableMemory linear() {
        return linear;
    }

    GuestFuel fuel() {
        return fuel;
    }

    CompiledModule module() {
        return module;
    }

    /** The command's imports; only for {@link #isCommand()} instances. */
    CommandImports command() {
        return command;
    }

    /** The command's WASI for the next run: the one kept, unless its last run spent it. */
    ReusableWasi reusableWasi() {
        if (wasi == null || wasi.spent()) {
            if (wasi != null) {
                wasi.close();
            }
            wasi = new ReusableWasi(module);
        }
        return wasi;
    }

    /** This instance must not serve again (its last invocation left it in doubt). */
    void discard() {
        reusable = false;
    }

    /** False once an invocation on this instance failed: never run it again. */
    public boolean reusable() {
        return reusable;
    }

    /**
     * Restores the post-init snapshot so the next invocation sees a fresh instance. Returns false
     * when this instance must be discarded instead: it failed, or a table grew (tables cannot be
     * shrunk back). Memory that grew is taken back to its snapshot size.
     */
    public boolean resetForReuse() {
        return reusable && snapshot.restore(instance, linear);
    }

    /**
     * Heap bytes of memory this instance holds for itself: chunks it wrote (the rest is shared with
     * the snapshot).
     */
    public long privateMemoryBytes() {
        return linear.privateBytes();
    }

    /**
     * Heap bytes this instance's linear memory holds for itself: its private chunks plus its tables
     * about chunks (one entry per 4 KiB of memory); all of memory when flat. Cheap: no walk over
     * memory.
     */
    public long memoryHeapBytes() {
        return linear.privateBytes() + linear.bookkeepingBytes();
    }

    /**
     * Runs the handler on {@code payload}. Never throws for anything the guest does; the caller's
     * deadline interrupt surfaces as a {@code Timeout} outcome.
     */
    public SandboxResult invoke(
            InvocationContext context, byte[] payload, InvocationLimits limits, long fuelBudget) {
        if (command != null) {
            throw new IllegalStateException("a wasi-cgi command runs through WasiCgiRun");
        }
        GuestEffects effects = calls.begin(context, limits.effects());
        fuel.set(fuelBudget);
        linear.clearRefusedGrow();
        InvocationOutcome outcome;
        try {
            outcome = run(payload, effects, limits);
        } catch (Throwable t) { // guest code may raise anything, including StackOverflowError
            GuestFailures.rethrowIfHostFatal(t);
            outcome = GuestFailures.classify(t);
        } finally {
            calls.end();
        }
        long remaining = fuel.get();
        // A check that found the fuel spent traps; whatever the guest did after the last check
        // still counts: below zero is out of fuel whatever the outcome.
        if (remaining < 0 && !(outcome instanceof InvocationOutcome.Timeout)) {
            outcome =
                    new InvocationOutcome.OutOfFuel(
                            "the function used up its fuel budget of " + fuelBudget);
        }
        // A trap after the cap refused a grow, or with memory at the cap, is the cap's doing (Rust
        // and C runtimes abort with unreachable when memory.grow returns -1).
        outcome =
                GuestFailures.atMemoryCap(
                        outcome, linear.refusedGrowPages(), memory.pages(), maxPages);
        if (outcome instanceof InvocationOutcome.Failure) {
            reusable = false;
        }
        long used = Math.min(fuelBudget, fuelBudget - remaining);
        return new SandboxResult(outcome, effects.logs(), effects.logTruncated(), used);
    }

    private InvocationOutcome run(byte[] payload, GuestEffects effects, InvocationLimits limits) {
        long ptr = alloc.apply(payload.length)[0];
        memory.checkRange(ptr, payload.length, "kiln_alloc result");
        memory.write((int) ptr, payload, 0, payload.length);
        long packed = handle.apply(ptr, payload.length)[0];
        if (effects.failure() != null) {
            return new InvocationOutcome.GuestError(effects.failure());
        }
        long resultPtr = AbiV1.resultPtr(packed);
        long resultLen = AbiV1.resultLen(packed);
        if (resultLen > limits.maxOutputBytes()) {
            return new InvocationOutcome.OutputLimit(
                    "the function returned "
                            + resultLen
                            + " bytes; the limit is "
                            + limits.maxOutputBytes());
        }
        memory.checkRange(resultPtr, resultLen, "kiln_handle result");
        byte[] body = memory.read((int) resultPtr, (int) resultLen);
        return new InvocationOutcome.Ok(
                effects.status(), List.copyOf(effects.responseHeaders()), body);
    }
}
