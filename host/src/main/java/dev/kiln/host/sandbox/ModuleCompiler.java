package dev.kiln.host.sandbox;

import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.kiln.host.core.Sha256;
import dev.kiln.host.fuel.FuelInjector;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Compiles validated modules to JVM bytecode, reusing code compiled in earlier runs (docs/adr/
 * 0007-compiled-code-cache.md).
 */
public final class ModuleCompiler {
    /**
     * What Kiln does to Chicory's code before caching it, in the cache directory's name: code
     * cached before the fuel moved to the memory (docs/adr/0065), before comparisons were fused
     * with their branches (docs/adr/0081), or before loops checked their deadline at fuel
     * checkpoints (docs/adr/0082), runs correctly but slowly, so it is compiled again once rather
     * than kept.
     */
    private static final String CODE_FORMAT = "-fuel-on-memory-fused-compares-checkpoints";

    private final DiskCodeCache cache;
    private final ResetStrategy resetStrategy;

    /**
     * The code of live compiled modules by {@link CodeKey}, weakly: a module with the same code
     * reuses its classes and parse tree while any compiled module holding them is reachable (a
     * pool, a draining pool or the code cache), and they are collected with the last one.
     */
    private final Map<String, WeakReference<SharedCode>> live = new ConcurrentHashMap<>();

    /**
     * One compilation per code key at a time, so a second module with the same code waits for the
     * first instead of compiling it again; striped, so no map of locks grows with every key.
     */
    private final ReentrantLock[] stripes = new ReentrantLock[64];

    /**
     * Which modules (by the SHA-256 of their bytes) compiled to each code key in this run, so
     * deleting one of them keeps the disk entry the others still use.
     */
    private final Map<String, Set<String>> users = new ConcurrentHashMap<>();

    /**
     * @param cacheDir where compiled code persists across restarts
     */
    public ModuleCompiler(Path cacheDir) {
        this(cacheDir, ResetStrategy.COPY_ON_WRITE);
    }

    /**
     * @param cacheDir where compiled code persists across restarts; a subdirectory per Chicory
     *     version and rewrite format keeps code from another from ever being loaded, and the
     *     subdirectories of others are deleted in the background
     * @param resetStrategy how instances of the compiled modules go back to their snapshot
     */
    public ModuleCompiler(Path cacheDir, ResetStrategy resetStrategy) {
        Path dir = cacheDir.resolve(SupersededCode.PREFIX + chicoryVersion() + CODE_FORMAT);
        try {
            this.cache = new DiskCodeCache(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SupersededCode.pruneInBackground(dir);
        this.resetStrategy = resetStrategy;
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /**
     * Instruments the module with fuel metering, then compiles the instrumented module: that is
     * what runs and what the code cache holds; the registry keeps the original.
     */
    public CompiledModule compile(ValidatedModule module) {
        // Fuel metering rewrites only the code, so equal code before it is equal code after it.
        String codeKey = CodeKey.of(module.wasm);
        if (codeKey == null) {
            return compileAlone(module);
        }
        String moduleKey = Sha256.hex(module.wasm);
        ReentrantLock stripe = stripes[Math.floorMod(codeKey.hashCode(), stripes.length)];
        stripe.lock();
        try {
            SharedCode code = liveCode(codeKey);
            CodeSource source = CodeSource.SHARED;
            WasmModule metered;
            if (code == null) {
                source = cache.contains(codeKey) ? CodeSource.DISK : CodeSource.COMPILED;
                FuelInjector.Instrumented instrumented =
                        FuelInjector.inject(module.wasm, module.module);
                metered = Parser.parse(instrumented.wasm());
                // Chicory asks its cache for the module's own digest; the key here is the code's.
                Compiled compiled = compile(metered, instrumented.fuelGlobal(), keyedAs(codeKey));
                code =
                        new SharedCode(
                                ((com.dylibso.chicory.runtime.CompiledModule) compiled.factory)
                                        .machineFactory(),
                                metered,
                                compiled.fuel);
                live.put(codeKey, new WeakReference<>(code));
            } else {
                metered = code.withDataOf(module.module, moduleKey);
            }
            users.computeIfAbsent(codeKey, k -> ConcurrentHashMap.newKeySet()).add(moduleKey);
            return new CompiledModule(
                    module,
                    metered,
                    code.factory(),
                    code.fuel(),
                    resetStrategy,
                    codeKey,
                    moduleKey,
                    source,
                    code);
        } finally {
            stripe.unlock();
        }
    }

    private CompiledModule compileAlone(ValidatedModule module) {
        FuelInjector.Instrumented instrumented = FuelInjector.inject(module.wasm, module.module);
        WasmModule metered = Parser.parse(instrumented.wasm());
        boolean cached = metered.digest() != null && cache.contains(metered.digest());
        Compiled compiled = compile(metered, instrumented.fuelGlobal(), cache);
        return new CompiledModule(
                module,
                metered,
                compiled.factory,
                compiled.fuel,
                resetStrategy,
                metered.digest(),
                null,
                cached ? CodeSource.DISK : CodeSource.COMPILED,
                null);
    }

    /** Compiled code and where it keeps an instance's fuel. */
    record Compiled(Function<Instance, Machine> factory, FuelHome fuel) {}

    /**
     * Compiles {@code metered} through {@code cache}, the code rewritten to keep the fuel on the
     * instance's memory (docs/adr/0065) and to branch on comparisons directly (docs/adr/0081).
     * Chicory hands the cache what it compiled and returns code loaded from its own bytes, so the
     * rewritten bytes are put into the cache and loaded back from it; the cache holds only
     * rewritten code (or code that could not be rewritten, as it is).
     */
    static Compiled compile(WasmModule metered, int fuelGlobal, Cache cache) {
        RewritingCache rewriting = new RewritingCache(cache, fuelGlobal);
        var factory = MachineFactoryCompiler.builder(metered).withCache(rewriting).compile();
        if (rewriting.stored != null) {
            factory = MachineFactoryCompiler.builder(metered).withCache(rewriting).compile();
        }
        return new Compiled(factory, new FuelHome(fuelGlobal, rewriting.fuelOnMemory));
    }

    /** A cache that rewrites what Chicory puts into it and tells where the code keeps its fuel. */
    private static final class RewritingCache implements Cache {
        private final Cache backing;
        private final int fuelGlobal;
        private byte[] stored;
        private boolean fuelOnMemory;

        RewritingCache(Cache backing, int fuelGlobal) {
            this.backing = backing;
            this.fuelGlobal = fuelGlobal;
        }

        @Override
        public byte[] get(String key) throws IOException {
            byte[] jar = stored != null ? stored : backing.get(key);
            fuelOnMemory = jar != null && FuelAccessRewriter.fuelOnMemory(jar);
            return jar;
        }

        @Override
        public void putIfAbsent(String key, byte[] data) throws IOException {
            stored = FuelAccessRewriter.rewrite(data, fuelGlobal);
            backing.putIfAbsent(key, stored);
        }
    }

    private SharedCode liveCode(String codeKey) {
        live.values().removeIf(ref -> ref.get() == null);
        WeakReference<SharedCode> ref = live.get(codeKey);
        return ref == null ? null : ref.get();
    }

    /** The disk cache seen through one key, whatever key Chicory asks for. */
    private Cache keyedAs(String codeKey) {
        return new Cache() {
            @Override
            public byte[] get(String ignored) throws IOException {
                return cache.get(codeKey);
            }

            @Override
            public void putIfAbsent(String ignored, byte[] data) throws IOException {
                cache.putIfAbsent(codeKey, data);
            }
        };
    }

    /**
     * Deletes {@code module}'s code from the disk cache (it stays usable in memory), unless another
     * module compiled in this run shares it. One that shares it but was not loaded since the start
     * compiles again after the next restart: a cost, never wrong code.
     */
    public void discard(CompiledModule module) {
        String key = module.cacheKey();
        if (key == null) {
            return;
        }
        Set<String> others = users.get(key);
        if (others != null) {
            others.remove(module.moduleKey());
            if (!others.isEmpty()) {
                return; // another module of this run still uses the code
            }
            users.remove(key, others);
        }
        cache.remove(key);
    }

    /** Chicory's version, from its jar's Maven metadata. */
    static String chicoryVersion() {
        try (InputStream in =
                MachineFactoryCompiler.class.getResourceAsStream(
                        "/META-INF/maven/com.dylibso.chicory/compiler/pom.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown").replaceAll("[^A-Za-z0-9._-]", "_");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
