package dev.kiln.perf;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wabt.Wat2Wasm;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.kiln.host.fuel.FuelInjector;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of fuel metering on compute: the same workloads compiled with and without {@link
 * FuelInjector}. The ratio {@code metered / plain} is the overhead (goal: at most 1.10).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FuelOverheadBenchmark {
    static final String WORKLOADS =
            """
            (module
              (memory (export "memory") 17)
              (func $fib (export "fib") (param $n i32) (result i32)
                (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
                  (then (local.get $n))
                  (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                                 (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
              ;; Insertion sort of n i32s filled by an LCG: branchy loops over memory.
              (func (export "sort") (param $n i32) (result i32)
                (local $i i32) (local $j i32) (local $x i32) (local $seed i32)
                (local.set $seed (i32.const 12345))
                (block $f (loop $fill
                  (br_if $f (i32.ge_u (local.get $i) (local.get $n)))
                  (local.set $seed (i32.add (i32.mul (local.get $seed) (i32.const 1103515245)) (i32.const 12345)))
                  (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $seed))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $fill)))
                (local.set $i (i32.const 1))
                (block $done (loop $outer
                  (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                  (local.set $x (i32.load (i32.shl (local.get $i) (i32.const 2))))
                  (local.set $j (local.get $i))
                  (block $placed (loop $inner
                    (br_if $placed (i32.eqz (local.get $j)))
                    (br_if $placed (i32.le_s (i32.load (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 2))) (local.get $x)))
                    (i32.store (i32.shl (local.get $j) (i32.const 2))
                               (i32.load (i32.shl (i32.sub (local.get $j) (i32.const 1)) (i32.const 2))))
                    (local.set $j (i32.sub (local.get $j) (i32.const 1)))
                    (br $inner)))
                  (i32.store (i32.shl (local.get $j) (i32.const 2)) (local.get $x))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $outer)))
                (i32.load (i32.const 0))))
            """;

    @Param({"plain", "metered"})
    public String variant;

    private ExportFunction fib;
    private ExportFunction sort;
    private Instance instance;
    private int fuelGlobal = -1;

    @Setup(Level.Trial)
    public void setUp() {
        byte[] wasm = Wat2Wasm.parse(WORKLOADS);
        if (variant.equals("metered")) {
            var metered = FuelInjector.inject(wasm);
            wasm = metered.wasm();
            fuelGlobal = metered.fuelGlobal();
        }
        WasmModule module = Parser.parse(wasm);
        instance =
                Instance.builder(module)
                        .withMachineFactory(MachineFactoryCompiler.compile(module))
                        .build();
        fib = instance.export("fib");
        sort = instance.export("sort");
    }

    private void refuel() {
        if (fuelGlobal >= 0) {
            instance.global(fuelGlobal).setValue(Long.MAX_VALUE / 2);
        }
    }

    @Benchmark
    public long fib25() {
        refuel();
        return fib.apply(25)[0];
    }

    @Benchmark
    public long sort2000() {
        refuel();
        return sort.apply(2000)[0];
    }
}
