package dev.kiln.host.sandbox;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
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

    public CompiledModule compile(ValidatedModule module) {
        var factory = MachineFactoryCompiler.builder(module.module).withCache(cache).compile();
        return new CompiledModule(module, factory);
    }
}
