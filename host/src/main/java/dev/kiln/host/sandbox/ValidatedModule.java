package dev.kiln.host.sandbox;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;

/** A module that passed {@link ModuleValidator}, with the facts the sandbox needs to run it. */
public final class ValidatedModule {
    final byte[] wasm;
    final WasmModule module;
    final ModuleRules rules;
    final MemoryLimits memoryLimits;
    final boolean hasInit;
    final boolean hasAbiVersion;
    final ModuleTraits traits;

    ValidatedModule(
            byte[] wasm,
            WasmModule module,
            ModuleRules rules,
            MemoryLimits memoryLimits,
            boolean hasInit,
            boolean hasAbiVersion,
            ModuleTraits traits) {
        this.wasm = wasm;
        this.module = module;
        this.rules = rules;
        this.memoryLimits = memoryLimits;
        this.hasInit = hasInit;
        this.hasAbiVersion = hasAbiVersion;
        this.traits = traits;
    }

    public ModuleRules rules() {
        return rules;
    }
}
