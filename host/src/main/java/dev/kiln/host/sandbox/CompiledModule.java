package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import dev.kiln.abi.AbiV1;
import dev.kiln.abi.HostCall;
import dev.kiln.abi.HostCalls;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** A module compiled to JVM bytecode, ready to be instantiated any number of times. */
public final class CompiledModule {
    private final ValidatedModule validated;
    private final WasmModule metered;
    private final Function<Instance, Machine> machineFactory;
    private final int fuelGlobal;

    /**
     * Taken from the first instance after init and shared: every reset instance starts from the
     * same state, the way a Wizer snapshot would. Null until then, or for modules that cannot be
     * reset.
     */
    private volatile InstanceSnapshot snapshot;

    CompiledModule(
            ValidatedModule validated,
            WasmModule metered,
            Function<Instance, Machine> machineFactory,
            int fuelGlobal) {
        this.validated = validated;
        this.metered = metered;
        this.machineFactory = machineFactory;
        this.fuelGlobal = fuelGlobal;
    }

    /** The ABI the module was validated for. */
    public Abi abi() {
        return validated.rules.abi();
    }

    /**
     * A bare instance bound to {@code imports}, its start function run but not its {@code _start}
     * export (Chicory would run that too unless told not to); for ABIs that take one instance per
     * invocation and bind their own imports (wasi-cgi).
     */
    Instance newInstance(ImportValues imports) {
        return Instance.builder(metered)
                .withImportValues(imports)
                .withMachineFactory(machineFactory)
                .withMemoryLimits(validated.memoryLimits)
                .withStart(false)
                .build();
    }

    /** Index of the fuel global the injector added. */
    int fuelGlobal() {
        return fuelGlobal;
    }

    /** Pages the function's memory may grow to. */
    int maxPages() {
        return validated.memoryLimits.maximumPages();
    }

    /**
     * Creates an instance, runs the module's start function and {@code kiln_init}, and checks its
     * ABI version. Run it under a deadline: guest code executes here.
     *
     * @throws KilnException {@code invalid_module} when the guest declares another ABI version
     * @throws RuntimeException whatever the guest's start or init code raised (classify with {@link
     *     GuestFailures})
     */
    public GuestInstance instantiate() {
        HostCalls calls = new HostCalls();
        ChicoryMemory[] memory = new ChicoryMemory[1];
        List<ImportFunction> functions = new ArrayList<>();
        for (HostCall call : HostCall.values()) {
            functions.add(
                    new HostFunction(
                            AbiV1.IMPORT_MODULE,
                            call.importName(),
                            ModuleValidator.toChicory(call.signature()),
                            (inst, args) -> {
                                long r = calls.call(call, memory[0], args);
                                return call.signature().results().isEmpty() ? null : new long[] {r};
                            }));
        }
        Instance instance =
                Instance.builder(metered)
                        .withImportValues(ImportValues.builder().withFunctions(functions).build())
                        .withMachineFactory(machineFactory)
                        // Chicory's default (ByteBufferMemory) costs most of the time of
                        // memory-heavy guests; its byte-array memory is several times faster
                        // there (perf/README.md, compute table).
                        .withMemoryFactory(ByteArrayMemory::new)
                        .withMemoryLimits(validated.memoryLimits)
                        .build();
        memory[0] = new ChicoryMemory(instance.memory());
        if (validated.hasAbiVersion) {
            long version = instance.export(AbiV1.EXPORT_ABI_VERSION).apply()[0];
            if (version != AbiV1.VERSION) {
                throw new KilnException(
                        ErrorCode.INVALID_MODULE,
                        "module declares kiln ABI version "
                                + version
                                + "; this host implements version "
                                + AbiV1.VERSION);
            }
        }
        if (validated.hasInit) {
            instance.export(AbiV1.EXPORT_INIT).apply();
        }
        InstanceSnapshot shared = null;
        if (validated.resettable) {
            shared = snapshot;
            if (shared == null) {
                shared = InstanceSnapshot.of(instance);
                snapshot = shared;
            }
        }
        return new GuestInstance(
                instance,
                memory[0],
                calls,
                validated.rules.handler(),
                shared,
                fuelGlobal,
                validated.memoryLimits.maximumPages());
    }
}
