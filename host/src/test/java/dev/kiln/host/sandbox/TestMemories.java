package dev.kiln.host.sandbox;

import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/** Kiln's linear memory for tests outside this package that run modules on Chicory directly. */
public final class TestMemories {
    private TestMemories() {}

    /** A fresh memory in {@code strategy}'s layout (flat for {@link ResetStrategy#FLAT}). */
    public static Memory of(MemoryLimits limits, ResetStrategy strategy) {
        return ResettableMemory.create(limits, strategy);
    }

    /**
     * {@code metered}'s code compiled as Kiln runs it, its fuel on the memory ({@link MemoryFuel});
     * null when the module does not define its one memory itself (Kiln refuses such modules), or
     * when its code could not be rewritten. Its instances must take their memory from {@link #of}.
     */
    public static Function<Instance, Machine> fuelOnMemory(WasmModule metered, int fuelGlobal) {
        boolean ownMemory =
                metered.memorySection().map(s -> s.memoryCount() == 1).orElse(false)
                        && metered.importSection().stream()
                                .noneMatch(i -> i.importType() == ExternalType.MEMORY);
        if (!ownMemory) {
            return null;
        }
        ModuleCompiler.Compiled compiled =
                ModuleCompiler.compile(metered, fuelGlobal, inMemoryCache(new HashMap<>()));
        return compiled.fuel().onMemory() ? compiled.factory() : null;
    }

    /** A compiled-code cache that keeps its entries in {@code jars}. */
    static Cache inMemoryCache(Map<String, byte[]> jars) {
        return new Cache() {
            @Override
            public byte[] get(String key) {
                return jars.get(key);
            }

            @Override
            public void putIfAbsent(String key, byte[] data) {
                jars.putIfAbsent(key, data);
            }
        };
    }
}
