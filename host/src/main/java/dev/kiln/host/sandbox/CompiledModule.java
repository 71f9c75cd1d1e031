package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.TableFactory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import dev.kiln.abi.AbiV1;
import dev.kiln.abi.HostCall;
import dev.kiln.abi.HostCalls;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** A module compiled to JVM bytecode, ready to be instantiated any number of times. */
public final class CompiledModule {
    // What instantiation needs of the validated module. The original module (its bytes and its
    // parse tree) is not kept: with thousands of functions it would be a large share of the heap.
    // The parse tree of the fuel-metered module is kept (`metered`): Chicory's Instance.builder
    // needs it for every new instance, and it is what dominates a function's heap after its
    // memory (perf/README.md, density).
    private final MemoryLimits memoryLimits;
    private final ModuleTraits traits;
    private final String handler;
    private final Abi abi;
    private final boolean hasInit;
    private final boolean hasAbiVersion;
    private final WasmModule metered;
    private final Function<Instance, Machine> machineFactory;
    private final FuelHome fuel;
    private final ResetStrategy resetStrategy;
    private final String cacheKey;
    private final String moduleKey;
    private final CodeSource codeSource;

    /** Keeps code shared with other modules reachable while this module is (or null). */
    @SuppressWarnings("unused")
    private final SharedCode sharedCode;

    private final TableFactory tables;

    /** The names of the functions the module imports, by import module. */
    private final Map<String, Set<String>> importedFunctions;

    /** Each kiln call's Chicory type, made once instead of for every import of every instance. */
    private static final Map<HostCall, FunctionType> KILN_TYPES = kilnTypes();

    /**
     * The post-init state of {@link #instantiate()}, for code run outside the host's pools
     * (benchmarks, tests). The host never uses it: its pools pass each function version's own
     * {@link InitialState}, so compiled code shared by content hash never carries one tenant's
     * initialised state to another.
     */
    private final InitialState standalone = new InitialState();

    CompiledModule(
            ValidatedModule validated,
            WasmModule metered,
            Function<Instance, Machine> machineFactory,
            FuelHome fuel,
            ResetStrategy resetStrategy,
            String cacheKey,
            String moduleKey,
            CodeSource codeSource,
            SharedCode sharedCode) {
        this.memoryLimits = validated.memoryLimits;
        this.traits = validated.traits;
        this.handler = validated.rules.handler();
        this.abi = validated.rules.abi();
        this.hasInit = validated.hasInit;
        this.hasAbiVersion = validated.hasAbiVersion;
        this.metered = metered;
        this.machineFactory = machineFactory;
        this.fuel = fuel;
        this.resetStrategy = resetStrategy;
        this.cacheKey = cacheKey;
        this.moduleKey = moduleKey;
        this.codeSource = codeSource;
        this.sharedCode = sharedCode;
        this.tables = cappedTables(validated.rules.limits().maxTableElements());
        this.importedFunctions = importedFunctions(metered);
    }

    private static Map<String, Set<String>> importedFunctions(WasmModule module) {
        Map<String, Set<String>> out = new HashMap<>();
        var imports = module.importSection();
        for (int i = 0; i < imports.importCount(); i++) {
            if (imports.getImport(i) instanceof FunctionImport f) {
                out.computeIfAbsent(f.module(), m -> new HashSet<>()).add(f.name());
            }
        }
        out.replaceAll((m, names) -> Set.copyOf(names));
        return Map.copyOf(out);
    }

    private static Map<HostCall, FunctionType> kilnTypes() {
        Map<HostCall, FunctionType> out = new EnumMap<>(HostCall.class);
        for (HostCall call : HostCall.values()) {
            out.put(call, ModuleValidator.toChicory(call.signature()));
        }
        return out;
    }

    /**
     * Whether the module imports the function {@code module.name}: an instance needs no import
     * object for the others (wasi-cgi binds a fresh set per invocation, so unused ones are waste).
     */
    boolean importsFunction(String module, String name) {
        return importedFunctions.getOrDefault(module, Set.of()).contains(name);
    }

    /**
     * Tables whose maximum is at most {@code maxElements}: a {@code table.grow} past it returns -1,
     * as {@code memory.grow} past memoryMiB does, instead of growing to Chicory's own limit (10M
     * elements, hundreds of MB per instance). Upload already refuses larger declared minimums.
     * {@link CappedTable} also returns -1 for deltas that Chicory's own check lets wrap around.
     */
    private static TableFactory cappedTables(long maxElements) {
        return (table, init) -> {
            TableLimits declared = table.limits();
            long max = Math.min(declared.max(), Math.max(declared.min(), maxElements));
            return new CappedTable(
                    new Table(
                            table.elementType(),
                            new TableLimits(declared.min(), max),
                            table.initialize()),
                    init);
        };
    }

    /** Whether the bytecode came from the disk cache of an earlier run instead of the compiler. */
    public boolean loadedFromDiskCache() {
        return codeSource == CodeSource.DISK;
    }

    /** Where the bytecode came from. */
    public CodeSource codeSource() {
        return codeSource;
    }

    /** The SHA-256 of the module's bytes when its code can be shared, else null. */
    String moduleKey() {
        return moduleKey;
    }

    /** The key of this module's code in the disk cache, or null when it is not cached. */
    String cacheKey() {
        return cacheKey;
    }

    /** The ABI the module was validated for. */
    public Abi abi() {
        return abi;
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
                .withMemoryLimits(memoryLimits)
                // Kiln's memory here too: it records a grow the cap refused (GuestFailures). In
                // the host's layout: a host's guest code then sees one memory class.
                .withMemoryFactory(
                        limits ->
                                ResettableMemory.create(
                                        limits,
                                        resetStrategy == ResetStrategy.FLAT
                                                ? ResetStrategy.FLAT
                                                : ResetStrategy.COPY_ON_WRITE))
                .withTableFactory(tables)
                .withStart(false)
                .build();
    }

    /** Where the module's code keeps an instance's fuel. */
    FuelHome fuelHome() {
        return fuel;
    }

    /** A fresh handle on an instance's fuel, bound on first use. */
    GuestFuel newFuel() {
        return new GuestFuel(fuel);
    }

    /** Bytes the function's linear memory may grow to (its memoryMiB cap, or less). */
    public long maxMemoryBytes() {
        return (long) memoryLimits.maximumPages() * 65536;
    }

    /** Pages the function's memory may grow to. */
    int maxPages() {
        return memoryLimits.maximumPages();
    }

    /**
     * Creates an instance in the post-init state of this module's {@linkplain #standalone own}
     * initial state; the host's pools use {@link #instantiate(InitialState)} instead.
     */
    public GuestInstance instantiate() {
        return instantiate(standalone);
    }

    /** A kiln host call's body, given the calling instance and its arguments. */
    @FunctionalInterface
    interface KilnCallBody {
        long run(Instance instance, long[] args);
    }

    /**
     * The import of one kiln host call: binds the guest's fuel first, so the call charges its work
     * to the guest (docs/adr/0027), and returns the result when the call has one.
     */
    static HostFunction kilnFunction(HostCall call, GuestFuel fuelTank, KilnCallBody body) {
        return new HostFunction(
                AbiV1.IMPORT_MODULE,
                call.importName(),
                KILN_TYPES.get(call),
                (inst, args) -> {
                    fuelTank.bind(inst);
                    long r = body.run(inst, args);
                    return call.signature().results().isEmpty() ? null : new long[] {r};
                });
    }

    /**
     * Creates an instance in {@code state}'s post-init state. The first instance of a state runs
     * the start function, checks the ABI version and runs {@code kiln_init}, and its state becomes
     * the snapshot; later ones start from that snapshot (only a start function, if the module has
     * one, runs again). Run it under a deadline: guest code may execute here.
     *
     * @param state the function version's initial state (one per version, never per content hash)
     * @throws KilnException {@code invalid_module} when the guest declares another ABI version
     * @throws RuntimeException whatever the guest's start or init code raised (classify with {@link
     *     GuestFailures})
     */
    public GuestInstance instantiate(InitialState state) {
        if (abi == Abi.WASI_CGI) {
            return instantiateCommand(state);
        }
        // Host calls charge their work to the guest's fuel (docs/adr/0027).
        GuestFuel fuelTank = newFuel();
        HostCalls calls = new HostCalls(fuelTank);
        ChicoryMemory[] memory = new ChicoryMemory[1];
        List<ImportFunction> functions = new ArrayList<>();
        for (HostCall call : HostCall.values()) {
            functions.add(
                    kilnFunction(
                            call,
                            fuelTank,
                            (inst, args) -> {
                                if (memory[0] == null) {
                                    // A start function calls in before instantiate() returns.
                                    memory[0] = new ChicoryMemory(inst.memory());
                                }
                                return calls.call(call, memory[0], args);
                            }));
        }
        InstanceSnapshot existing = state.snapshot();
        boolean fromSnapshot = existing != null && !traits.hasStart();
        ResettableMemory[] linear = new ResettableMemory[1];
        Instance instance =
                resettable(
                                ImportValues.builder().withFunctions(functions).build(),
                                fromSnapshot,
                                linear)
                        .build();
        if (memory[0] == null) {
            memory[0] = new ChicoryMemory(instance.memory());
        }
        InstanceSnapshot shared =
                existing != null ? existing : initialise(instance, linear[0], state);
        shared.applyTo(instance, linear[0]);
        return new GuestInstance(
                instance,
                linear[0],
                memory[0],
                calls,
                handler,
                shared,
                fuelTank.boundTo(instance),
                memoryLimits.maximumPages(),
                this,
                null);
    }

    /**
     * Whether the host pools this module's instances: always for the kiln ABI; for wasi-cgi when
     * the module has no start function. A start function would run once per pooled instance, with
     * no request's arguments, environment or input, and what it did would stay in the snapshot;
     * such a command keeps a new instance per invocation, as before (docs/adr/0066).
     */
    public boolean pooled() {
        return abi == Abi.KILN || !traits.hasStart();
    }

    /**
     * A wasi-cgi command's instance for a pool: its imports forward to whatever each invocation
     * binds ({@link CommandImports}), and its state is the module's as instantiated — data
     * segments, globals and tables, no guest code run — which the first instance of {@code state}
     * captures and every later one starts from (docs/adr/0066).
     */
    private GuestInstance instantiateCommand(InitialState state) {
        if (!pooled()) {
            throw new IllegalStateException("a command with a start function is not pooled");
        }
        CommandImports command = CommandImports.of(metered);
        InstanceSnapshot existing = state.snapshot();
        ResettableMemory[] linear = new ResettableMemory[1];
        Instance instance =
                resettable(command.importValues(metered), existing != null, linear)
                        .withStart(false)
                        .build();
        InstanceSnapshot shared =
                existing != null
                        ? existing
                        : state.offer(InstanceSnapshot.capture(instance, linear[0], traits));
        shared.applyTo(instance, linear[0]);
        return new GuestInstance(
                instance,
                linear[0],
                new ChicoryMemory(instance.memory()),
                null,
                handler,
                shared,
                newFuel().boundTo(instance),
                memoryLimits.maximumPages(),
                this,
                command);
    }

    /**
     * Whether an instance may serve again after its run ended in an exception the guest meant (a
     * WASI {@code proc_exit}): only when every function is compiled bytecode. Chicory's
     * interpreter, which runs functions too large for a JVM method, keeps its stacks on the
     * instance, and an exception can leave frames there.
     */
    boolean survivesExit() {
        return fuel.onMemory();
    }

    /**
     * An instance of this module on Kiln's own memory: byte-array chunks (as fast as Chicory's
     * ByteArrayMemory, far faster than its ByteBuffer default) that can be reset to the snapshot
     * cheaply (docs/adr/0008-instance-reset.md), left in {@code linear[0]}.
     *
     * @param fromSnapshot the memory will be given the snapshot: skip the data segments
     */
    private Instance.Builder resettable(
            ImportValues imports, boolean fromSnapshot, ResettableMemory[] linear) {
        return Instance.builder(metered)
                .withImportValues(imports)
                .withMachineFactory(machineFactory)
                .withMemoryLimits(memoryLimits)
                .withTableFactory(tables)
                .withMemoryFactory(
                        limits -> {
                            linear[0] = ResettableMemory.create(limits, resetStrategy);
                            if (fromSnapshot) {
                                linear[0].skipActiveSegments();
                            }
                            return linear[0];
                        });
    }

    /** Runs the ABI checks and init on the first instance, and takes the snapshot. */
    private InstanceSnapshot initialise(
            Instance instance, ResettableMemory linear, InitialState state) {
        if (hasAbiVersion) {
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
        if (hasInit) {
            instance.export(AbiV1.EXPORT_INIT).apply();
        }
        // Two first instances may race: all instances share whichever snapshot won.
        return state.offer(InstanceSnapshot.capture(instance, linear, traits));
    }

    /** Heap bytes of the standalone post-init memory image, 0 before the first instance. */
    public long snapshotBytes() {
        InstanceSnapshot s = standalone.snapshot();
        return s == null ? 0 : s.imageBytes();
    }
}
