package dev.kiln.host.pool;

import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.GuestInstance;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleValidator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Hands out guest instances per function version, compiling each version at most once.
 *
 * <p>Every invocation gets a fresh instance created from the compiled code, which is the {@code
 * fresh} isolation of the design without any state to reset; keeping pre-initialised instances
 * ready (start kind {@code pool}) builds on this class.
 */
public final class InstancePool {
    private final ModuleCompiler compiler;
    private final Map<VersionKey, CompiledModule> compiled = new ConcurrentHashMap<>();

    public InstancePool(ModuleCompiler compiler) {
        this.compiler = compiler;
    }

    /** A leased instance and how it was obtained. */
    public record Lease(GuestInstance instance, StartKind startKind) {}

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
        boolean cold = prepare(key, wasm);
        GuestInstance instance = compiled.get(key).instantiate();
        return new Lease(instance, cold ? StartKind.COLD : StartKind.WARM);
    }

    /** Returns an instance after its invocation; instances are not reused yet. */
    public void release(Lease lease) {}

    /** Drops compiled code of every version with this content hash. */
    public void evict(String sha256) {
        compiled.keySet().removeIf(k -> k.sha256().equals(sha256));
    }

    /** Number of compiled versions held. */
    public int compiledCount() {
        return compiled.size();
    }
}
