package dev.kiln.host.sandbox;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.kiln.host.fuel.FuelInjector;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Compiles validated modules to JVM bytecode, reusing code compiled in earlier runs (docs/adr/
 * 0007-compiled-code-cache.md).
 */
public final class ModuleCompiler {
    private final DiskCodeCache cache;
    private final ResetStrategy resetStrategy;

    /**
     * @param cacheDir where compiled code persists across restarts
     */
    public ModuleCompiler(Path cacheDir) {
        this(cacheDir, ResetStrategy.COPY_ON_WRITE);
    }

    /**
     * @param cacheDir where compiled code persists across restarts; a subdirectory per Chicory
     *     version keeps code from another compiler version from ever being loaded
     * @param resetStrategy how instances of the compiled modules go back to their snapshot
     */
    public ModuleCompiler(Path cacheDir, ResetStrategy resetStrategy) {
        try {
            this.cache = new DiskCodeCache(cacheDir.resolve("chicory-" + chicoryVersion()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.resetStrategy = resetStrategy;
    }

    /**
     * Instruments the module with fuel metering, then compiles the instrumented module: that is
     * what runs and what the code cache holds; the registry keeps the original.
     */
    public CompiledModule compile(ValidatedModule module) {
        FuelInjector.Instrumented metered = FuelInjector.inject(module.wasm, module.module);
        WasmModule parsed = Parser.parse(metered.wasm());
        boolean cached = parsed.digest() != null && cache.contains(parsed.digest());
        var factory = MachineFactoryCompiler.builder(parsed).withCache(cache).compile();
        return new CompiledModule(
                module,
                parsed,
                factory,
                metered.fuelGlobal(),
                resetStrategy,
                parsed.digest(),
                cached);
    }

    /** Deletes {@code module}'s code from the disk cache (it stays usable in memory). */
    public void discard(CompiledModule module) {
        if (module.cacheKey() != null) {
            cache.remove(module.cacheKey());
        }
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
