package dev.kiln.host.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.fuel.FuelInjector;
import dev.kiln.host.testing.Interrupted;
import dev.kiln.host.testing.RawModule;
import dev.kiln.host.testing.Wat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compiled guest code keeps its fuel on the instance's memory (docs/adr/0065): it charges exactly
 * what the injector's global would have, never touches the global, runs out the same way, and code
 * that cannot be rewritten (functions left to Chicory's interpreter) keeps the global.
 */
class FuelOnMemoryTest {
    static final ModuleRules RULES = new ModuleRules("kiln_handle", 16, ModuleLimits.DEFAULTS);
    static final long BUDGET = 1_000_000_000L;

    /**
     * kiln_handle sums fib(b) over the payload's bytes: recursion (fuel in the global or memory at
     * every call) inside a loop (fuel in a local, written back around each call), and echoes.
     */
    static final String FIB_SUM =
            """
            (module
              (memory (export "memory") 1)
              (global $sum (export "sum") (mut i64) (i64.const 0))
              (func $fib (param $n i32) (result i64)
                (if (result i64) (i32.lt_u (local.get $n) (i32.const 2))
                  (then (i64.extend_i32_u (local.get $n)))
                  (else (i64.add
                    (call $fib (i32.sub (local.get $n) (i32.const 1)))
                    (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
              (func (export "kiln_alloc") (param $len i32) (result i32) (i32.const 1024))
              (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
                (local $i i32)
                (block $done
                  (loop $next
                    (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
                    (global.set $sum (i64.add (global.get $sum)
                      (call $fib (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $next)))
                (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
                        (i64.extend_i32_u (local.get $len)))))
            """;

    static final byte[] PAYLOAD = {12, 3, 17, 0, 1, 9};

    /**
     * FIB_SUM with its only loop calling at the top of every iteration: the call writes the fuel
     * back each time round, so the loop header checks the fuel against zero with no write-back mark
     * (docs/adr/0027). BACK_EDGE is where the loop goes round.
     */
    static final String CALL_FIRST =
            FIB_SUM.substring(0, FIB_SUM.indexOf("(func (export \"kiln_handle\")"))
                    + """
                    (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
                        (local $i i32)
                        (loop $next
                          (global.set $sum (i64.add (global.get $sum)
                            (call $fib (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))))
                          BACK_EDGE)
                        (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
                                (i64.extend_i32_u (local.get $len)))))
                    """;

    static final String NEXT_BYTE =
            "(br_if $next (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))"
                    + " (local.get $len)))";

    @TempDir Path tmp;

    /** The fuel the instrumented module charges when Chicory runs it with the fuel global. */
    private static long fuelWithTheGlobal(byte[] wasm, byte[] payload) {
        var injected = FuelInjector.inject(wasm);
        WasmModule module = Parser.parse(injected.wasm());
        Instance instance =
                Instance.builder(module)
                        .withMemoryFactory(ByteArrayMemory::new)
                        .withMachineFactory(MachineFactoryCompiler.compile(module))
                        .build();
        var fuel = instance.global(injected.fuelGlobal());
        fuel.setValue(BUDGET);
        long ptr = instance.export("kiln_alloc").apply(payload.length)[0];
        instance.memory().write((int) ptr, payload);
        instance.export("kiln_handle").apply(ptr, payload.length);
        return BUDGET - fuel.getValue();
    }

    private static InvocationContext context() {
        return new InvocationContext(
                "req-1", "svc", "fn", "sha", "invoke", Long.MAX_VALUE, null, Map.of());
    }

    private static SandboxResult invoke(CompiledModule compiled, byte[] payload, long budget) {
        return compiled.instantiate().invoke(context(), payload, InvocationLimits.DEFAULTS, budget);
    }

    @Test
    void rewrittenCodeChargesExactlyWhatTheGlobalWould() {
        byte[] wasm = Wat.compile(FIB_SUM);
        CompiledModule compiled =
                new ModuleCompiler(tmp).compile(ModuleValidator.validate(wasm, RULES));
        assertThat(compiled.fuelHome().onMemory()).isTrue();

        SandboxResult r = invoke(compiled, PAYLOAD, BUDGET);
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.Ok.class);
        assertThat(r.fuel()).isEqualTo(fuelWithTheGlobal(wasm, PAYLOAD)).isGreaterThan(10_000);
        // The same again from a fresh host reading the code back from the disk cache.
        CompiledModule cached =
                new ModuleCompiler(tmp).compile(ModuleValidator.validate(wasm, RULES));
        assertThat(cached.codeSource()).isEqualTo(CodeSource.DISK);
        assertThat(cached.fuelHome().onMemory()).isTrue();
        assertThat(invoke(cached, PAYLOAD, BUDGET).fuel()).isEqualTo(r.fuel());
    }

    @Test
    void rewrittenCodeRunsOutOfFuelAtTheSameBudget() {
        byte[] wasm = Wat.compile(FIB_SUM);
        long needed = fuelWithTheGlobal(wasm, PAYLOAD);
        CompiledModule compiled =
                new ModuleCompiler(tmp).compile(ModuleValidator.validate(wasm, RULES));
        assertThat(invoke(compiled, PAYLOAD, needed).outcome())
                .isInstanceOf(InvocationOutcome.Ok.class);
        SandboxResult starved = invoke(compiled, PAYLOAD, needed / 2);
        assertThat(starved.outcome()).isInstanceOf(InvocationOutcome.OutOfFuel.class);
        assertThat(starved.fuel()).isEqualTo(needed / 2);
    }

    @Test
    void aLoopThatCallsFirstChargesAndRunsOutExactlyAsTheGlobalWould() {
        byte[] wasm = Wat.compile(CALL_FIRST.replace("BACK_EDGE", NEXT_BYTE));
        long needed = fuelWithTheGlobal(wasm, PAYLOAD);
        CompiledModule compiled =
                new ModuleCompiler(tmp).compile(ModuleValidator.validate(wasm, RULES));
        assertThat(compiled.fuelHome().onMemory()).isTrue();
        SandboxResult r = invoke(compiled, PAYLOAD, BUDGET);
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.Ok.class);
        assertThat(r.fuel()).isEqualTo(needed).isGreaterThan(10_000);
        SandboxResult starved = invoke(compiled, PAYLOAD, needed / 2);
        assertThat(starved.outcome()).isInstanceOf(InvocationOutcome.OutOfFuel.class);
        assertThat(starved.fuel()).isEqualTo(needed / 2);
    }

    /** Such a loop, going round forever, still stops at its deadline with its fuel written back. */
    @Test
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // fails, not hangs
    void aLoopThatCallsFirstIsStoppedAtItsDeadlineWithItsFuelWrittenBack() throws Exception {
        byte[] wasm = Wat.compile(CALL_FIRST.replace("BACK_EDGE", "(br $next)"));
        CompiledModule compiled =
                new ModuleCompiler(tmp).compile(ModuleValidator.validate(wasm, RULES));
        stopsAtItsDeadlineWithItsFuelWrittenBack(compiled);
    }

    @Test
    void rewrittenCodeNeverTouchesTheFuelGlobal() {
        var injected = FuelInjector.inject(Wat.compile(FIB_SUM));
        WasmModule module = Parser.parse(injected.wasm());
        var code = TestMemories.fuelOnMemory(module, injected.fuelGlobal());
        assertThat(code).as("rewritten").isNotNull();
        Instance instance =
                Instance.builder(module)
                        .withMemoryFactory(
                                l -> ResettableMemory.create(l, ResetStrategy.COPY_ON_WRITE))
                        .withMachineFactory(code)
                        .build();
        // A global read anywhere would trap at the next entry check.
        instance.global(injected.fuelGlobal()).setValue(-1);
        MemoryFuel.set(BUDGET, instance.memory());
        long ptr = instance.export("kiln_alloc").apply(PAYLOAD.length)[0];
        instance.memory().write((int) ptr, PAYLOAD);
        instance.export("kiln_handle").apply(ptr, PAYLOAD.length);
        assertThat(instance.exports().global("sum").getValue()).isEqualTo(144 + 2 + 1597 + 1 + 34);
        assertThat(instance.global(injected.fuelGlobal()).getValue()).isEqualTo(-1);
        assertThat(BUDGET - MemoryFuel.get(instance.memory()))
                .isEqualTo(fuelWithTheGlobal(Wat.compile(FIB_SUM), PAYLOAD));
    }

    @Test
    void codeLeftToTheInterpreterKeepsTheGlobal() {
        // A function too large for one JVM method: Chicory interprets it, reading the global.
        String echo = "2000ad4220862001ad84";
        byte[] wasm = RawModule.kiln().handle("", "20001a".repeat(40_000) + echo).bytes();
        CompiledModule compiled =
                new ModuleCompiler(tmp).compile(ModuleValidator.validate(wasm, RULES));
        assertThat(compiled.fuelHome().onMemory()).isFalse();
        byte[] hi = "hi".getBytes(StandardCharsets.UTF_8);
        SandboxResult r = invoke(compiled, hi, BUDGET);
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.Ok.class);
        assertThat(r.fuel()).isEqualTo(fuelWithTheGlobal(wasm, hi)).isGreaterThan(40_000);
        assertThat(invoke(compiled, hi, r.fuel() / 2).outcome())
                .isInstanceOf(InvocationOutcome.OutOfFuel.class);
    }

    /**
     * A deadline still stops rewritten code (Chicory's interrupt checks before calls, and at the
     * loop headers that write fuel back: docs/adr/0082), in a loop that only branches, in one that
     * calls, and in recursion without any loop (fib(90): far more calls than any deadline allows);
     * and the fuel it reports is what it wrote back before (at least every 65 536 units in a loop).
     */
    @ParameterizedTest
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // fails, not hangs
    @ValueSource(
            strings = {
                "(loop $forever (br $forever))",
                "(loop $forever (drop (call $fib (i32.const 3))) (br $forever))",
                "(drop (call $fib (i32.const 90)))"
            })
    void aLoopIsStillStoppedAtItsDeadline(String loop) throws Exception {
        String wat = FIB_SUM.replace("(block $done", loop + "\n                (block $done");
        CompiledModule compiled =
                new ModuleCompiler(tmp).compile(ModuleValidator.validate(Wat.compile(wat), RULES));
        assertThat(compiled.fuelHome().onMemory()).isTrue();
        stopsAtItsDeadlineWithItsFuelWrittenBack(compiled);
    }

    /** Invokes {@code compiled} with a deadline 100 ms away: a timeout, with fuel written back. */
    private static void stopsAtItsDeadlineWithItsFuelWrittenBack(CompiledModule compiled)
            throws Exception {
        GuestInstance guest = compiled.instantiate();
        Interrupted.after(
                100,
                () -> {
                    SandboxResult r =
                            guest.invoke(
                                    context(),
                                    PAYLOAD,
                                    InvocationLimits.DEFAULTS,
                                    Long.MAX_VALUE / 4);
                    assertThat(r.outcome()).isInstanceOf(InvocationOutcome.Timeout.class);
                    assertThat(r.fuel()).as("fuel written back before the deadline").isPositive();
                });
    }

    @Test
    void aMemoryStartsWithTheInitialFuelOfTheGlobal() {
        ResettableMemory memory =
                ResettableMemory.create(new MemoryLimits(1, 1), ResetStrategy.FLAT);
        assertThat(MemoryFuel.get(memory)).isEqualTo(FuelInjector.INIT_FUEL);
    }
}
