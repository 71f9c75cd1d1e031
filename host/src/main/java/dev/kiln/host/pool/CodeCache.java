package dev.kiln.host.pool;

import dev.kiln.host.observability.Metrics;
import dev.kiln.host.sandbox.CodeSource;
import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Compiled modules by {@link VersionKey} (content hash plus what shapes the code): each compiled at
 * most once however many callers ask at the same time, counted against the host's {@link
 * MemoryBudget} while held, dropped by content hash or key. {@link InstancePool} owns one; pools
 * keep their own reference to the code they instantiate, so evicting here never breaks an instance.
 */
final class CodeCache {
    private final ModuleCompiler compiler;
    private final MemoryBudget budget;
    private final Metrics.Counter compilations;
    private final Map<VersionKey, CompiledModule> compiled = new ConcurrentHashMap<>();

    /**
     * Compilations under way, so concurrent callers for one key wait for one compilation. Kept out
     * of {@link #compiled}: compiling inside its {@code computeIfAbsent} would hold a lock of the
     * map for seconds, stalling every writer of the same bin and every resize (docs/adr/0029).
     */
    private final Map<VersionKey, CompletableFuture<CompiledModule>> compiling =
            new ConcurrentHashMap<>();

    /** What each compiled module in {@link #compiled} is counted at. */
    private final Map<VersionKey, Long> codeCharges = new ConcurrentHashMap<>();

    CodeCache(ModuleCompiler compiler, MemoryBudget budget, Metrics.Counter compilations) {
        this.compiler = compiler;
        this.budget = budget;
        this.compilations = compilations;
    }

    /**
     * Compiles {@code key}'s module if no code exists for it yet. Concurrent callers for the same
     * key wait for one compilation.
     *
     * @return true when this call compiled the code (or loaded it from the disk cache)
     */
    boolean prepare(VersionKey key, Supplier<byte[]> wasm) {
        while (!compiled.containsKey(key)) {
            CompletableFuture<CompiledModule> mine = new CompletableFuture<>();
            CompletableFuture<CompiledModule> other = compiling.putIfAbsent(key, mine);
            if (other != null) {
                try {
                    other.join(); // another caller is compiling it: share its result
                } catch (CompletionException e) {
                    // It failed for that caller; the loop tries again here (like computeIfAbsent).
                }
                continue;
            }
            try {
                if (compiled.containsKey(key)) { // finished between our check and our claim
                    mine.complete(compiled.get(key));
                    return false;
                }
                CompiledModule m = compileCounted(key, wasm);
                compiled.put(key, m);
                mine.complete(m);
                return true;
            } catch (RuntimeException | Error e) {
                mine.completeExceptionally(e);
                throw e;
            } finally {
                compiling.remove(key, mine);
            }
        }
        return false;
    }

    /**
     * Compiles for the shared map, counting the estimated code size against the memory budget first
     * (it is given back when the code is evicted).
     */
    private CompiledModule compileCounted(VersionKey key, Supplier<byte[]> wasm) {
        byte[] bytes = wasm.get();
        long estimate = MemoryEstimates.compiledCode(bytes);
        budget.reserve(MemoryBudget.Kind.COMPILED_CODE, estimate, null);
        try {
            CompiledModule m = compile(key, () -> bytes);
            if (m.codeSource() == CodeSource.SHARED) {
                // Classes and parse tree are another module's, already counted with it.
                long own = MemoryEstimates.sharedCode(bytes);
                budget.release(MemoryBudget.Kind.COMPILED_CODE, estimate - own);
                estimate = own;
            }
            Long previous = codeCharges.put(key, estimate);
            if (previous != null) { // evicted and compiled again before the release landed
                budget.release(MemoryBudget.Kind.COMPILED_CODE, previous);
            }
            return m;
        } catch (RuntimeException | Error e) {
            budget.release(MemoryBudget.Kind.COMPILED_CODE, estimate);
            throw e;
        }
    }

    private void releaseCode(VersionKey key) {
        Long charge = codeCharges.remove(key);
        if (charge != null) {
            budget.release(MemoryBudget.Kind.COMPILED_CODE, charge);
        }
    }

    /** Compiles {@code key}'s module without caching it. */
    CompiledModule compile(VersionKey key, Supplier<byte[]> wasm) {
        CompiledModule m = compiler.compile(ModuleValidator.validate(wasm.get(), key.rules()));
        compilations.inc(m.codeSource().label());
        return m;
    }

    /** The cached code of {@code key}, or null. */
    CompiledModule get(VersionKey key) {
        return compiled.get(key);
    }

    /**
     * The code an instance of {@code key} runs, compiled if needed (true in {@code cold[0]} then).
     * A draining pool's code is never put back into the cache once it was let go.
     */
    CompiledModule forInstance(
            VersionKey key, Supplier<byte[]> wasm, boolean draining, boolean[] cold) {
        CompiledModule m;
        if (draining) {
            m = compiled.get(key);
            if (m == null) {
                cold[0] = true;
                m = compile(key, wasm);
            }
        } else {
            cold[0] = prepare(key, wasm);
            m = compiled.get(key);
            if (m == null) { // evicted between prepare and here
                cold[0] = true;
                m = compile(key, wasm);
            }
        }
        return m;
    }

    /**
     * The compiled code of {@code key}, compiled now if needed ({@code COLD}, else {@code WARM}).
     * For what is instantiated outside the pools: wasi-cgi commands with a start function
     * (docs/adr/0066) and their upload check.
     */
    InstancePool.Code code(VersionKey key, Supplier<byte[]> wasm) {
        boolean cold = prepare(key, wasm);
        CompiledModule module = compiled.get(key);
        if (module == null) { // evicted between prepare and here: compile again
            cold = prepare(key, wasm);
            module = compiled.get(key);
        }
        return new InstancePool.Code(module, cold ? StartKind.COLD : StartKind.WARM);
    }

    /**
     * Drops compiled code (in memory and in the disk cache) of every version with this content
     * hash. Pools still draining keep their own reference until their instances are gone.
     */
    void evict(String sha256) {
        List<VersionKey> gone = new ArrayList<>();
        for (VersionKey k : compiled.keySet()) {
            if (k.sha256().equals(sha256)) {
                gone.add(k);
            }
        }
        for (VersionKey k : gone) {
            CompiledModule m = compiled.remove(k);
            if (m != null) {
                releaseCode(k);
                compiler.discard(m);
            }
        }
    }

    /**
     * Drops the compiled code of {@code key} from memory only: other keys of the same content hash
     * (other handler, memory cap or ABI) share its disk cache entry. Pools still draining keep
     * their own reference until their instances are gone.
     */
    void evict(VersionKey key) {
        if (compiled.remove(key) != null) {
            releaseCode(key);
        }
    }

    /** Number of compiled versions held. */
    int size() {
        return compiled.size();
    }
}
