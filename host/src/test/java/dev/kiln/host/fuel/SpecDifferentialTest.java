package dev.kiln.host.fuel;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportTable;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wabt.Wast2Json;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.host.sandbox.MemoryFuel;
import dev.kiln.host.sandbox.ResetStrategy;
import dev.kiln.host.sandbox.TestMemories;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the WebAssembly spec test suite's modules (vendored under {@code spec-testsuite/}) as
 * written and as {@link FuelInjector} rewrote them with ample fuel, and requires the same result,
 * trap or link failure from every command. Every instrumented module must also pass Chicory's
 * validator. The instrumented modules run three times: on Chicory's memory, and on Kiln's in both
 * its layouts (chunked and flat, docs/adr/0064), so Kiln's loads, stores, bulk operations and
 * growth answer as Chicory's do on every memory test of the suite.
 *
 * <p>The suite's own expectations are Chicory's business; this test only asks that metering never
 * changes what a module computes. Commands Chicory cannot run uninstrumented (proposals it lacks)
 * are counted and skipped.
 */
@Tag("slow") // the WebAssembly spec suite, twice
class SpecDifferentialTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long AMPLE_FUEL = Long.MAX_VALUE / 4;

    static Stream<String> wastFiles() throws IOException {
        try (InputStream in =
                SpecDifferentialTest.class.getResourceAsStream("/spec-testsuite/files.txt")) {
            return new String(Objects.requireNonNull(in).readAllBytes(), StandardCharsets.UTF_8)
                            .lines()
                            .map(String::strip)
                            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                            .toList()
                            .stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("wastFiles")
    void instrumentedModulesBehaveLikeTheOriginals(String name, @TempDir Path dir)
            throws IOException {
        Path wast = dir.resolve(name);
        try (InputStream in =
                SpecDifferentialTest.class.getResourceAsStream("/spec-testsuite/" + name)) {
            Files.write(wast, Objects.requireNonNull(in, name).readAllBytes());
        }
        Path json = dir.resolve("spec.json");
        Wast2Json.builder().withFile(wast.toFile()).withOutput(json.toFile()).build().process();

        World plain = new World(false, ByteArrayMemory::new);
        World metered = new World(true, ByteArrayMemory::new);
        List<World> onKiln =
                List.of(
                        new World(true, l -> TestMemories.of(l, ResetStrategy.COPY_ON_WRITE)),
                        new World(true, l -> TestMemories.of(l, ResetStrategy.FLAT)));
        onKiln.forEach(World::keepFuelOnMemory);
        Tally tally = new Tally();
        for (JsonNode command : JSON.readTree(json.toFile()).get("commands")) {
            String where = name + ":" + command.get("line").asInt();
            switch (command.get("type").asText()) {
                case "module" -> {
                    byte[] wasm = Files.readAllBytes(dir.resolve(command.get("filename").asText()));
                    String id = command.path("name").asText(null);
                    String a = plain.load(wasm, id);
                    String b = metered.load(wasm, id);
                    tally.modules++;
                    assertThat(b).as(where).isEqualTo(a);
                    for (World k : onKiln) {
                        assertThat(trap(k.load(wasm, id))).as(where).isEqualTo(trap(a));
                    }
                }
                case "register" -> {
                    String id = command.path("name").asText(null);
                    plain.register(id, command.get("as").asText());
                    metered.register(id, command.get("as").asText());
                    onKiln.forEach(k -> k.register(id, command.get("as").asText()));
                }
                case "action", "assert_return", "assert_trap", "assert_exhaustion" -> {
                    if (plain.current(command.get("action")) == null
                            || command.get("action").path("args").toString().contains("v128")) {
                        tally.skipped++;
                        continue;
                    }
                    String a = plain.act(command.get("action"));
                    String b = metered.act(command.get("action"));
                    tally.actions++;
                    assertThat(b).as(where).isEqualTo(a);
                    for (World k : onKiln) {
                        assertThat(trap(k.act(command.get("action")))).as(where).isEqualTo(trap(a));
                    }
                }
                case "assert_uninstantiable", "assert_unlinkable" -> {
                    byte[] wasm = Files.readAllBytes(dir.resolve(command.get("filename").asText()));
                    String a = plain.load(wasm, null);
                    String b = metered.load(wasm, null);
                    tally.modules++;
                    assertThat(b).as(where).isEqualTo(a);
                    for (World k : onKiln) {
                        assertThat(trap(k.load(wasm, null))).as(where).isEqualTo(trap(a));
                    }
                }
                default ->
                        tally.skipped++; // invalid and malformed modules never reach the injector
            }
        }
        System.out.printf(
                "spec %s: %d modules, %d actions identical, %d commands skipped, %d modules with"
                        + " fuel on memory%n",
                name, tally.modules, tally.actions, tally.skipped, onKiln.get(0).kilnModules);
        assertThat(tally.actions + tally.modules).as("commands compared").isPositive();
        if (plain.loaded > 0) {
            assertThat(onKiln).allMatch(k -> k.kilnModules > 0, "ran code with fuel on memory");
        }
    }

    /**
     * An outcome with the details of an out-of-bounds trap left out: Kiln's memory names the access
     * it refused, Chicory's also its limit, and a store straddling the end may be refused as a
     * whole or at its first byte past it.
     */
    private static String trap(String outcome) {
        return outcome.replaceAll(
                "out of bounds memory access[^<]*", "out of bounds memory access");
    }

    private static boolean importsMemory(WasmModule module) {
        return module.importSection().count(ExternalType.MEMORY) > 0;
    }

    /**
     * {@code wasm} with a one-page memory section, in the place the binary format gives it (after
     * the type, import, function and table sections).
     */
    static byte[] withMemory(byte[] wasm) {
        int at = 8;
        while (at < wasm.length) {
            int id = wasm[at] & 0xff;
            if (id != 0 && id > 4) {
                break;
            }
            int[] pos = {at + 1};
            long size = Leb128.readUnsigned(wasm, pos);
            at = pos[0] + (int) size;
        }
        byte[] memory = {5, 3, 1, 0, 1};
        byte[] out = new byte[wasm.length + memory.length];
        System.arraycopy(wasm, 0, out, 0, at);
        System.arraycopy(memory, 0, out, at, memory.length);
        System.arraycopy(wasm, at, out, at + memory.length, wasm.length - at);
        return out;
    }

    private static final class Tally {
        int modules;
        int actions;
        int skipped;
    }

    /** One side of the comparison: the spectest host module and the instances loaded so far. */
    private static final class World {
        private final boolean instrument;
        private final Map<String, Instance> named = new HashMap<>();
        private final Map<String, Instance> registered = new HashMap<>();
        private final Memory spectestMemory = new ByteArrayMemory(new MemoryLimits(1, 2));
        private final TableInstance spectestTable =
                new TableInstance(
                        new Table(ValType.FuncRef, new TableLimits(10, 20)), Value.REF_NULL_VALUE);
        private Instance current;

        private final Function<MemoryLimits, Memory> memories;

        /** Whether modules defining their memory run as Kiln compiles them (fuel on memory). */
        private boolean fuelOnMemory;

        /** Modules loaded, and those of them run with their fuel on memory. */
        int loaded;

        int kilnModules;

        World(boolean instrument, Function<MemoryLimits, Memory> memories) {
            this.instrument = instrument;
            this.memories = memories;
        }

        void keepFuelOnMemory() {
            fuelOnMemory = true;
        }

        /** Loads a module; returns "ok" or the failure, and makes it current when it loaded. */
        String load(byte[] wasm, String id) {
            WasmModule module;
            int fuelGlobal = -1;
            try {
                module = Parser.parse(wasm);
            } catch (RuntimeException e) {
                current = null;
                return "unparsed: " + e.getClass().getSimpleName();
            }
            if (fuelOnMemory && !importsMemory(module) && module.memorySection().isEmpty()) {
                // As Kiln would run it: every Kiln module has a memory. None of its code uses
                // this one; it only gives the rewritten code its place for the fuel.
                wasm = withMemory(wasm);
                module = Parser.parse(wasm);
            }
            if (instrument) {
                FuelInjector.Instrumented injected = FuelInjector.inject(wasm, module);
                // Throws if the rewritten module does not validate: that fails the test.
                module = Parser.parse(injected.wasm());
                fuelGlobal = injected.fuelGlobal();
            }
            try {
                var kilnCode = fuelOnMemory ? TestMemories.fuelOnMemory(module, fuelGlobal) : null;
                Instance instance =
                        Instance.builder(module)
                                .withImportValues(imports(module))
                                .withMemoryFactory(memories)
                                .withMachineFactory(
                                        kilnCode != null
                                                ? kilnCode
                                                : MachineFactoryCompiler.compile(module))
                                .build();
                // The start function ran on FuelInjector.INIT_FUEL; exports get more.
                if (kilnCode != null) {
                    MemoryFuel.set(AMPLE_FUEL, instance.memory());
                    kilnModules++;
                } else if (fuelGlobal >= 0) {
                    instance.global(fuelGlobal).setValue(AMPLE_FUEL);
                }
                current = instance;
                loaded++;
                if (id != null) {
                    named.put(id, instance);
                }
                return "ok";
            } catch (RuntimeException | StackOverflowError e) {
                current = null;
                return describe(e);
            }
        }

        void register(String id, String as) {
            Instance instance = id == null ? current : named.get(id);
            if (instance != null) {
                registered.put(as, instance);
            }
        }

        Instance current(JsonNode action) {
            String id = action.path("module").asText(null);
            return id == null ? current : named.get(id);
        }

        String act(JsonNode action) {
            Instance instance = current(action);
            String field = action.get("field").asText();
            try {
                if (action.get("type").asText().equals("get")) {
                    return "ok " + instance.exports().global(field).getValue();
                }
                long[] args = new long[0];
                for (JsonNode arg : action.get("args")) {
                    args = concat(args, value(arg));
                }
                long[] result = instance.export(field).apply(args);
                return "ok " + show(result, instance.exportType(field).returns());
            } catch (RuntimeException | StackOverflowError e) {
                return describe(e);
            }
        }

        private ImportValues imports(WasmModule module) {
            ImportValues.Builder iv = ImportValues.builder();
            for (int i = 0; i < module.importSection().importCount(); i++) {
                Import imp = module.importSection().getImport(i);
                String mod = imp.module();
                String name = imp.name();
                if (mod.equals("spectest")) {
                    spectest(iv, module, imp);
                    continue;
                }
                Instance from = registered.get(mod);
                if (from == null) {
                    continue; // Chicory reports the missing import as unlinkable
                }
                try {
                    switch (imp.importType()) {
                        case FUNCTION -> {
                            FunctionType type = from.exportType(name);
                            iv.addFunction(
                                    new HostFunction(
                                            mod,
                                            name,
                                            type,
                                            (inst, args) -> from.export(name).apply(args)));
                        }
                        case GLOBAL ->
                                iv.addGlobal(
                                        new ImportGlobal(mod, name, from.exports().global(name)));
                        case MEMORY ->
                                iv.addMemory(
                                        new ImportMemory(mod, name, from.exports().memory(name)));
                        case TABLE ->
                                iv.addTable(new ImportTable(mod, name, from.exports().table(name)));
                        default -> {}
                    }
                } catch (RuntimeException e) {
                    // Not exported by that name: left for Chicory to report as unlinkable.
                }
            }
            return iv.build();
        }

        private void spectest(ImportValues.Builder iv, WasmModule module, Import imp) {
            String name = imp.name();
            switch (imp.importType()) {
                case FUNCTION -> {
                    int typeIndex =
                            ((com.dylibso.chicory.wasm.types.FunctionImport) imp).typeIndex();
                    FunctionType type = module.typeSection().getType(typeIndex);
                    iv.addFunction(
                            new HostFunction("spectest", name, type, (inst, args) -> new long[0]));
                }
                case GLOBAL -> {
                    Value v =
                            switch (name) {
                                case "global_i32" -> Value.i32(666);
                                case "global_i64" -> Value.i64(666);
                                case "global_f32" -> Value.fromFloat(666.6f);
                                case "global_f64" -> Value.fromDouble(666.6);
                                default -> null;
                            };
                    if (v != null) {
                        iv.addGlobal(
                                new ImportGlobal(
                                        "spectest",
                                        name,
                                        new GlobalInstance(v, MutabilityType.Const)));
                    }
                }
                case MEMORY -> iv.addMemory(new ImportMemory("spectest", name, spectestMemory));
                case TABLE -> iv.addTable(new ImportTable("spectest", name, spectestTable));
                default -> {}
            }
        }
    }

    private static long[] value(JsonNode arg) {
        String type = arg.get("type").asText();
        String v = arg.get("value").asText();
        if (v.equals("null")) {
            return new long[] {Value.REF_NULL_VALUE};
        }
        long bits = Long.parseUnsignedLong(v);
        return new long[] {type.equals("i32") || type.equals("f32") ? (int) bits : bits};
    }

    /**
     * Results as text, every NaN as "nan": which NaN payload a float operation on NaNs returns is
     * nondeterministic in Wasm (the spec expects only nan:arithmetic) and on the JVM it varies with
     * the JIT tier, so payloads are not part of "the same result".
     */
    private static String show(long[] result, List<ValType> types) {
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < result.length; i++) {
            ValType type = i < types.size() ? types.get(i) : null;
            boolean nan =
                    (ValType.F32.equals(type) && Float.isNaN(Float.intBitsToFloat((int) result[i])))
                            || (ValType.F64.equals(type)
                                    && Double.isNaN(Double.longBitsToDouble(result[i])));
            shown.add(nan ? "nan" : Long.toString(result[i]));
        }
        return shown.toString();
    }

    private static long[] concat(long[] a, long[] b) {
        long[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** A failure as both sides must report it: its kind and message, never a stack trace. */
    private static String describe(Throwable e) {
        if (e instanceof StackOverflowError) {
            return "stack overflow";
        }
        List<String> parts = new ArrayList<>();
        for (Throwable t = e; t != null; t = t.getCause()) {
            // A NullPointerException's message is the JVM's helpful text, which it drops once the
            // throwing code is optimised (fast throw): the kind alone is what both sides share.
            parts.add(
                    t instanceof NullPointerException
                            ? t.getClass().getSimpleName()
                            : t.getClass().getSimpleName() + ": " + t.getMessage());
        }
        return String.join(" <- ", parts);
    }
}
