package dev.kiln.host.sandbox;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.kiln.host.fuel.FuelInjector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** Compiles validated modules to JVM bytecode, reusing code compiled in earlier runs. */
public final class ModuleCompiler {
    private final DiskCodeCache cache;

    /**
     * @param cacheDir where compiled code persists across restarts
     */
    public ModuleCompiler(Path cacheDir) {
        try {
            this.cache = new DiskCodeCache(cacheDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Instruments the module with fuel metering, then compiles the instrumented module: that is
     * what runs and what the code cache holds; the registry keeps the original.
     */
    public CompiledModule compile(ValidatedModule module) {
        FuelInjector.Instrumented metered = FuelInjector.inject(module.wasm, module.module);
        WasmModule parsed = Parser.parse(metered.wasm());
        var factory = MachineFactoryCompiler.builder(parsed).withCache(cache).compile();
        return new CompiledModule(module, parsed, factory, metered.fuelGlobal());
    }
}
