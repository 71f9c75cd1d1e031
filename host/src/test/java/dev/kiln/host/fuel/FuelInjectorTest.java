package dev.kiln.host.fuel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.kiln.host.testing.Wat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The injector must not change results, must charge deterministically, and must stop loops. */
class FuelInjectorTest {
    /** Exercises every control construct the segmenter cares about. */
    static final String PROGRAMS =
            """
            (module
              (memory (export "memory") 1 4)
              (table 2 funcref)
              (elem (i32.const 0) $sq $neg)
              (type $un (func (param i32) (result i32)))
              (global $g (mut i32) (i32.const 7))
              (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
              (func $neg (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
              (func (export "fib") (param $n i32) (result i32)
                (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
                  (then (local.get $n))
                  (else (i32.add (call 2 (i32.sub (local.get $n) (i32.const 1)))
                                 (call 2 (i32.sub (local.get $n) (i32.const 2)))))))
              (func (export "sum") (param $n i32) (result i32) (local $acc i32)
                (block $done
                  (loop $next
                    (br_if $done (i32.eqz (local.get $n)))
                    (local.set $acc (i32.add (local.get $acc) (local.get $n)))
                    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                    (br $next)))
                (local.get $acc))
              (func (export "switch") (param $k i32) (result i32)
                (block $c (block $b (block $a
                  (br_table $a $b $c (local.get $k)))
                  (return (i32.const 10)))
                  (return (i32.const 20)))
                (i32.const 30))
              (func (export "indirect") (param $k i32) (param $x i32) (result i32)
                (call_indirect (type $un) (local.get $x) (local.get $k)))
              (func (export "bulk") (param $n i32) (result i32)
                (memory.fill (i32.const 0) (i32.const 7) (local.get $n))
                (memory.copy (i32.const 1000) (i32.const 0) (local.get $n))
                (i32.load8_u (i32.const 1000)))
              (func (export "grow") (result i32) (memory.grow (i32.const 1)))
              (func (export "global") (result i32)
                (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g))
              (func (export "spin") (loop $l (br $l)))
              (func (export "trap") (result i32) (i32.div_s (i32.const 1) (i32.const 0))))
            """;

    static Instance instantiate(byte[] wasm) {
        WasmModule m = Parser.parse(wasm);
        return Instance.builder(m).withMachineFactory(MachineFactoryCompiler.compile(m)).build();
    }

    static long call(Instance i, String name, long... args) {
        long[] r = i.export(name).apply(args);
        return r == null || r.length == 0 ? 0 : r[0];
    }

    @Test
    void instrumentedModulesValidateAndComputeTheSame() {
        byte[] original = Wat.compile(PROGRAMS);
        var injected = FuelInjector.inject(original);
        Instance plain = instantiate(original);
        Instance metered = instantiate(injected.wasm());
        for (String[] c :
                new String[][] {
                    {"fib", "20"},
                    {"sum", "1000"},
                    {"switch", "0"},
                    {"switch", "1"},
                    {"switch", "2"},
                    {"switch", "9"},
                    {"indirect", "0", "9"},
                    {"indirect", "1", "9"},
                    {"bulk", "300"},
                    {"grow"},
                    {"global"},
                    {"global"}
                }) {
            long[] args = new long[c.length - 1];
            for (int k = 1; k < c.length; k++) {
                args[k - 1] = Long.parseLong(c[k]);
            }
            assertThat(call(metered, c[0], args))
                    .as(String.join(" ", c))
                    .isEqualTo(call(plain, c[0], args));
        }
        assertThatThrownBy(() -> call(metered, "trap")).hasMessageContaining("divide by zero");
    }

    @Test
    void everyTestFixtureStillValidatesWhenInstrumented() {
        for (String name :
                List.of(
                        "echo",
                        "uppercase",
                        "order_summary",
                        "config",
                        "context",
                        "trap",
                        "loop_forever",
                        "abi_violation",
                        "bad_result",
                        "counter",
                        "grows")) {
            byte[] original = Wat.fixture(name);
            byte[] wasm = FuelInjector.inject(original).wasm();
            // Chicory's validator (types of every function body, globals, tables, as in
            // SpecDifferentialTest) throws on an instrumented module that does not validate...
            WasmModule m = validated(wasm);
            // ...and what it exports is what the original exports.
            assertThat(exports(m)).as(name).isEqualTo(exports(Parser.parse(original)));
            assertThat(MachineFactoryCompiler.compile(m)).as(name).isNotNull();
        }
    }

    @Test
    void theValidatorUsedAboveRejectsAnIllTypedBody() {
        // (func (result i32)) with an empty body: parses, but does not validate.
        byte[] illTyped = {
            0x00,
            0x61,
            0x73,
            0x6d,
            0x01,
            0x00,
            0x00,
            0x00, // magic, version
            0x01,
            0x05,
            0x01,
            0x60,
            0x00,
            0x01,
            0x7f, // type 0: () -> i32
            0x03,
            0x02,
            0x01,
            0x00, // function 0: type 0
            0x0a,
            0x04,
            0x01,
            0x02,
            0x00,
            0x0b // body: no locals, end
        };
        assertThat(
                        Parser.builder()
                                .withValidation(false)
                                .build()
                                .parse(() -> new java.io.ByteArrayInputStream(illTyped)))
                .isNotNull();
        assertThatThrownBy(() -> validated(illTyped))
                .isInstanceOf(com.dylibso.chicory.wasm.InvalidException.class);
    }

    static WasmModule validated(byte[] wasm) {
        return Parser.builder()
                .withValidation(true)
                .build()
                .parse(() -> new java.io.ByteArrayInputStream(wasm));
    }

    static List<String> exports(WasmModule m) {
        var section = m.exportSection();
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < section.exportCount(); i++) {
            var e = section.getExport(i);
            out.add(e.exportType() + " " + e.name());
        }
        return out;
    }

    @Test
    void fuelIsDeterministicAndGrowsWithWork() {
        var injected = FuelInjector.inject(Wat.compile(PROGRAMS));
        Instance i = instantiate(injected.wasm());
        var fuel = i.global(injected.fuelGlobal());
        long[] used = new long[3];
        for (int run = 0; run < 3; run++) {
            fuel.setValue(1_000_000_000L);
            call(i, "sum", 1000);
            used[run] = 1_000_000_000L - fuel.getValue();
        }
        assertThat(used[0]).isPositive().isEqualTo(used[1]).isEqualTo(used[2]);
        fuel.setValue(1_000_000_000L);
        call(i, "sum", 2000);
        long double_ = 1_000_000_000L - fuel.getValue();
        assertThat(double_).isBetween(2 * used[0] - 20, 2 * used[0] + 20);
    }

    /**
     * Fuel follows the cost table exactly on every path, also when the arms of an if/else share a
     * hoisted charge: structure (block, loop, else, end, return, nop, drop) is free, everything
     * else costs 1.
     */
    @Test
    void fuelIsTheCostTableSummedAlongThePathTaken() {
        String wat =
                """
                (module
                  (func (export "pick") (param i32) (result i32)
                    (if (result i32) (local.get 0)
                      (then (i32.const 1))
                      (else (i32.add (i32.const 2) (i32.const 3)))))
                  (func (export "nested") (param i32) (param i32) (result i32)
                    (block $out (result i32)
                      (if (result i32) (local.get 0)
                        (then
                          (if (result i32) (local.get 1)
                            (then (i32.const 10))
                            (else (nop) (drop (i32.const 0)) (i32.const 20))))
                        (else (br $out (i32.const 30)))))))
                """;
        var injected = FuelInjector.inject(Wat.compile(wat));
        Instance i = instantiate(injected.wasm());
        var fuel = i.global(injected.fuelGlobal());
        // local.get + if + i32.const
        assertThat(spent(fuel, () -> call(i, "pick", 1))).isEqualTo(3);
        // local.get + if + i32.const + i32.const + i32.add
        assertThat(spent(fuel, () -> call(i, "pick", 0))).isEqualTo(5);
        // local.get + if + local.get + if + i32.const
        assertThat(spent(fuel, () -> call(i, "nested", 1, 1))).isEqualTo(5);
        // local.get + if + local.get + if + i32.const (drop's operand) + i32.const
        assertThat(spent(fuel, () -> call(i, "nested", 1, 0))).isEqualTo(6);
        // local.get + if + i32.const + br
        assertThat(spent(fuel, () -> call(i, "nested", 0, 0))).isEqualTo(4);
    }

    /**
     * Functions with loops keep the fuel in a local: the global must still hold the exact count
     * after calls inside the loop, after a branch straight out of the function, and when the fuel
     * runs out (the host tells fuel_exhausted by the global).
     */
    @Test
    void loopsThatCacheTheFuelStillChargeExactly() {
        String wat =
                """
                (module
                  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
                  (func (export "loopcall") (param $n i32) (result i32) (local $acc i32)
                    (block $done
                      (loop $next
                        (br_if $done (i32.eqz (local.get $n)))
                        (local.set $acc (call $inc (local.get $acc)))
                        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                        (br $next)))
                    (local.get $acc))
                  (func (export "leave") (result i32)
                    (loop $l (br_if 1 (i32.const 7) (i32.const 1)) (br $l))
                    (i32.const 0))
                  (func (export "forever")
                    (loop $l (drop (call $inc (i32.const 0))) (br $l))))
                """;
        var injected = FuelInjector.inject(Wat.compile(wat));
        Instance i = instantiate(injected.wasm());
        var fuel = i.global(injected.fuelGlobal());
        // per iteration: br_if test 3, the call line 3 + $inc's 3, the decrement 4, br 1; exit 4
        assertThat(spent(fuel, () -> call(i, "loopcall", 10))).isEqualTo(10 * 14 + 4);
        assertThat(call(i, "loopcall", 10)).isEqualTo(10);
        // i32.const, i32.const, br_if out of the function: nothing after it runs
        assertThat(spent(fuel, () -> call(i, "leave"))).isEqualTo(3);
        fuel.setValue(10_000);
        assertThatThrownBy(() -> call(i, "forever")).isInstanceOf(TrapException.class);
        assertThat(fuel.getValue()).isNegative();
    }

    private static long spent(GlobalInstance fuel, Runnable call) {
        fuel.setValue(1_000_000L);
        call.run();
        return 1_000_000L - fuel.getValue();
    }

    @Test
    void anInfiniteLoopRunsOutOfFuel() {
        var injected = FuelInjector.inject(Wat.compile(PROGRAMS));
        Instance i = instantiate(injected.wasm());
        i.global(injected.fuelGlobal()).setValue(100_000);
        assertThatThrownBy(() -> call(i, "spin")).isInstanceOf(TrapException.class);
        assertThat(i.global(injected.fuelGlobal()).getValue()).isNegative();
    }

    @Test
    void aHugeFillIsStoppedBeforeItRuns() {
        var injected = FuelInjector.inject(Wat.compile(PROGRAMS));
        Instance i = instantiate(injected.wasm());
        i.global(injected.fuelGlobal()).setValue(1_000);
        // 60000 bytes cost 7500 units: more than the budget, refused before filling.
        assertThatThrownBy(() -> call(i, "bulk", 60_000)).isInstanceOf(TrapException.class);
        assertThat(i.memory().read(0)).isZero();
    }

    @Test
    void importsKeepTheirIndices() {
        String wat =
                """
                (module
                  (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
                  (memory (export "memory") 1)
                  (func (export "f") (result i32)
                    (call $log (i32.const 1) (i32.const 0) (i32.const 0))))
                """;
        byte[] wasm = FuelInjector.inject(Wat.compile(wat)).wasm();
        WasmModule m = Parser.parse(wasm);
        long[] seen = new long[1];
        var log =
                new HostFunction(
                        "kiln",
                        "log",
                        FunctionType.of(
                                List.of(ValType.I32, ValType.I32, ValType.I32),
                                List.of(ValType.I32)),
                        (inst, args) -> {
                            seen[0] = args[0];
                            return new long[] {42};
                        });
        Instance i =
                Instance.builder(m)
                        .withImportValues(ImportValues.builder().addFunction(log).build())
                        .withMachineFactory(MachineFactoryCompiler.compile(m))
                        .build();
        assertThat(call(i, "f")).isEqualTo(42);
        assertThat(seen[0]).isEqualTo(1);
    }
}
