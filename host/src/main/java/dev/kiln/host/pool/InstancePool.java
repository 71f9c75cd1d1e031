package dev.kiln.host.pool;

import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.GuestInstance;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleValidator;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Supplier;

/**
 * Hands out guest instances per function version, compiling each version at most once and keeping
 * used instances, reset to their post-init snapshot, ready for the next invocation.
 *
 * <p>Isolation is {@code fresh}: an instance comes back only if its state could be restored (it did
 * not fail, its memory did not grow, its module has no state a snapshot misses); otherwise it is
 * dropped and the next invocation instantiates anew.
 */
public final class InstancePool {
    private final ModuleCompiler compiler;
    private final int maxIdlePerVersion;
    private final Map<VersionKey, CompiledModule> compiled = new ConcurrentHashMap<>();
    private final Map<VersionKey, Deque<GuestInstance>> idle = new ConcurrentHashMap<>();

    /**
     * @param maxIdlePerVersion ready instances kept per version
     */
    public InstancePool(ModuleCompiler compiler, int maxIdlePerVersion) {
        this.compiler = compiler;
        this.maxIdlePerVersion = maxIdlePerVersion;
    }

    /** A leased instance, the version it belongs to, and how it was obtained. */
    public record Lease(VersionKey key, GuestInstance instance, StartKind startKind) {}

    /**
     * Compiles {@code key}'s module if no code exists for it yet. Concurrent callers for the same
     * key wait for one compilation.
     *
     * @return true when this call compiled the code
     */
    public boolean prepare(VersionKey key, Supplier<byte[]> wasm) {
        boolean[] compiledNow = {false};
        compiled.computeIfAbsent(
                key,
                k -> {
                    compiledNow[0] = true;
                    return compiler.compile(ModuleValidator.validate(wasm.get(), k.rules()));
                });
        return compiledNow[0];
    }

    /**
     * Creates an instance of {@code key}'s module; guest code (start, {@code kiln_init}) runs on
     * the calling thread, so call it under the invocation's deadline.
     */
    public Lease acquire(VersionKey key, Supplier<byte[]> wasm) {
        Deque<GuestInstance> ready = idle.get(key);
        GuestInstance pooled = ready == null ? null : ready.pollFirst();
        if (pooled != null) {
            return new Lease(key, pooled, StartKind.POOL);
        }
        boolean cold = prepare(key, wasm);
        CompiledModule module = compiled.get(key);
        if (module == null) { // evicted between prepare and here: compile again
            cold = prepare(key, wasm);
            module = compiled.get(key);
        }
        return new Lease(key, module.instantiate(), cold ? StartKind.COLD : StartKind.WARM);
    }

    /** Compiled code and whether it had to be compiled for this request. */
    public record Code(CompiledModule module, StartKind startKind) {}

    /**
     * The compiled code of {@code key}, compiled now if needed ({@code COLD}, else {@code WARM}).
     * For ABIs that instantiate per invocation and never pool instances (wasi-cgi).
     */
    public Code code(VersionKey key, Supplier<byte[]> wasm) {
        boolean cold = prepare(key, wasm);
        CompiledModule module = compiled.get(key);
        if (module == null) { // evicted between prepare and here: compile again
            cold = prepare(key, wasm);
            module = compiled.get(key);
        }
        return new Code(module, cold ? StartKind.COLD : StartKind.WARM);
    }

    /**
     * Takes an instance back after its invocation. It is reset and kept if it can be, otherwise
     * dropped. Never call it twice for one lease.
     */
    public void release(Lease lease) {
        if (!compiled.containsKey(lease.key()) || !lease.instance().resetForReuse()) {
            return;
        }
        Deque<GuestInstance> ready =
                idle.computeIfAbsent(lease.key(), k -> new ConcurrentLinkedDeque<>());
        // size() is O(n) on this deque but n is at most maxIdlePerVersion.
        if (ready.size() < maxIdlePerVersion) {
            ready.offerFirst(lease.instance());
        }
    }

    /** Drops compiled code and ready instances of every version with this content hash. */
    public void evict(String sha256) {
        compiled.keySet().removeIf(k -> k.sha256().equals(sha256));
        idle.keySet().removeIf(k -> k.sha256().equals(sha256));
    }

    /** Ready instances held for {@code key}. */
    public int idleCount(VersionKey key) {
        Deque<GuestInstance> ready = idle.get(key);
        return ready == null ? 0 : ready.size();
    }

    /** Number of compiled versions held. */
    public int compiledCount() {
        return compiled.size();
    }
}
