package dev.kiln.host.invoke;

import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.pool.InstanceLimitException;
import dev.kiln.host.pool.InstancePool;
import dev.kiln.host.pool.MemoryBudgetException;
import dev.kiln.host.pool.PoolSpec;
import dev.kiln.host.pool.StartKind;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.FunctionSettings;
import dev.kiln.host.sandbox.Abi;
import dev.kiln.host.sandbox.GuestFailures;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.SandboxResult;
import dev.kiln.host.sandbox.WasiCgiRun;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs one invocation's guest on its function's ABI, on the caller's (worker) thread: leases a
 * pooled instance — or, for a wasi-cgi command with a start function, builds one (docs/adr/0066) —
 * runs it, and gives the lease back before the answer goes out. Capacity refusals become {@code
 * overloaded} outcomes, anything the guest raised its classified failure.
 */
final class GuestRun {
    private final InstancePool pool;
    private final List<Path> wasiDirRoots;
    private final Metrics.Counter overloads;

    /** What ran, and how its instance was obtained (null when none was). */
    record Ran(SandboxResult result, StartKind startKind) {}

    /** One invocation's guest inputs. */
    record Call(
            PoolSpec spec,
            FunctionInfo function,
            FunctionSettings settings,
            Supplier<byte[]> wasm,
            InvocationContext context,
            byte[] payload,
            long fuelBudget,
            long queueDeadline,
            InvocationSpan span) {}

    GuestRun(InstancePool pool, List<Path> wasiDirRoots, Metrics.Counter overloads) {
        this.pool = pool;
        this.wasiDirRoots = wasiDirRoots;
        this.overloads = overloads;
    }

    /** Runs {@code call} within {@code limits}; never throws for anything the guest does. */
    Ran run(Call call, InvocationLimits limits) {
        boolean wasi = call.spec().key().rules().abi() == Abi.WASI_CGI;
        StartKind startKind = null;
        InstancePool.Lease lease = null;
        try {
            InvocationSpan.mark(call.span(), InvocationSpan.Phase.ACQUIRING);
            if (wasi) {
                var code = pool.code(call.spec().key(), call.wasm());
                if (!code.module().pooled()) {
                    // A start function: a new instance per invocation.
                    startKind = code.startKind();
                    InvocationSpan.mark(call.span(), InvocationSpan.Phase.ACQUIRED);
                    return new Ran(
                            WasiCgiRun.run(
                                    code.module(),
                                    call.context(),
                                    call.payload(),
                                    limits,
                                    call.fuelBudget(),
                                    grants(call.settings()),
                                    wasiDirRoots),
                            startKind);
                }
            }
            lease = pool.acquire(call.spec(), call.wasm(), call.queueDeadline());
            startKind = lease.startKind();
            InvocationSpan.mark(call.span(), InvocationSpan.Phase.ACQUIRED);
            SandboxResult result =
                    wasi
                            ? WasiCgiRun.run(
                                    lease.instance(),
                                    call.context(),
                                    call.payload(),
                                    limits,
                                    call.fuelBudget(),
                                    grants(call.settings()),
                                    wasiDirRoots)
                            : lease.instance()
                                    .invoke(
                                            call.context(),
                                            call.payload(),
                                            limits,
                                            call.fuelBudget());
            return new Ran(result, startKind);
        } catch (InstanceLimitException e) {
            return overloaded(
                    call.function(),
                    e.timedOut() ? OverloadReason.QUEUE_TIMEOUT : OverloadReason.INSTANCE_LIMIT,
                    e.getMessage(),
                    startKind);
        } catch (MemoryBudgetException e) {
            // No room for a new instance (or its code or snapshot) even after evicting idle
            // ones: like any other capacity limit, 429.
            return overloaded(
                    call.function(), OverloadReason.MEMORY_BUDGET, e.getMessage(), startKind);
        } catch (Throwable t) { // guest start/init code or the deadline
            GuestFailures.rethrowIfHostFatal(t);
            return new Ran(
                    new SandboxResult(GuestFailures.classify(t), List.of(), false, 0), startKind);
        } finally {
            // Before the answer goes out: a resetting instance is back in the pool by the time
            // the client can send its next request.
            if (lease != null) {
                pool.release(lease);
            }
        }
    }

    private Ran overloaded(
            FunctionInfo function, OverloadReason reason, String message, StartKind startKind) {
        overloads.inc(function.service(), function.name(), reason.wire());
        return new Ran(
                new SandboxResult(new InvocationOutcome.Overloaded(message), List.of(), false, 0),
                startKind);
    }

    /** Directories a wasi-cgi function may read, by guest path. */
    private static Map<String, Path> grants(FunctionSettings settings) {
        if (settings.wasiReadOnlyDirs().isEmpty()) {
            return Map.of();
        }
        Map<String, Path> out = new LinkedHashMap<>();
        settings.wasiReadOnlyDirs().forEach((guest, host) -> out.put(guest, Path.of(host)));
        return out;
    }
}
