package dev.kiln.host.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.kiln.host.fuel.FuelInjector;
import dev.kiln.host.testing.Interrupted;
import dev.kiln.host.testing.Wat;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;

/**
 * Loops check the deadline where their headers write fuel back, or before the call each iteration
 * makes, instead of at every back edge (docs/adr/0082): compiled as Kiln compiles guests, functions
 * keep Chicory's checks only before calls, and a deadline still stops every kind of loop — and a
 * recursion through such a function, which only the checks before calls can stop.
 */
class InterruptCheckMoverTest {
    private static final String MODULE =
            """
            (module (memory 1)
              (type $void (func))
              (table 1 funcref)
              (elem (i32.const 0) $noop)
              (func $noop)
              (func (export "spin_br") (loop $l (br $l)))
              (func (export "spin_br_if") (local $i i32)
                (loop $l
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $l (i32.const 1))))
              (func (export "spin_br_table")
                (loop $l (block $out (br_table $l $l $out (i32.const 1)))))
              (func (export "calls_first") (loop $l (call $noop) (br $l)))
              (func $recurse (export "recurse") (param $n i32) (local $i i32)
                (loop $l
                  (br_if $l (i32.lt_u
                    (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 3))))
                (if (local.get $n) (then
                  (call $recurse (i32.sub (local.get $n) (i32.const 1)))
                  (call $recurse (i32.sub (local.get $n) (i32.const 1))))))
              (func (export "indirect_first")
                (loop $l (call_indirect (type $void) (i32.const 0)) (br $l))))
            """;

    private static final long FUEL = Long.MAX_VALUE / 4;

    private static WasmModule module;
    private static ModuleCompiler.Compiled compiled;
    private static Map<String, MethodNode> functions;

    @BeforeAll
    static void compile() {
        FuelInjector.Instrumented metered = FuelInjector.inject(Wat.compile(MODULE));
        module = Parser.parse(metered.wasm());
        Map<String, byte[]> jars = new HashMap<>();
        compiled =
                ModuleCompiler.compile(
                        module, metered.fuelGlobal(), TestMemories.inMemoryCache(jars));
        assertThat(compiled.fuel().onMemory()).isTrue();
        functions = GuestMethods.of(jars.values().iterator().next());
    }

    /**
     * Per function (index, export): the checkpoints its loop headers got, and Chicory's interrupt
     * checks left in its method — only those before direct calls (a {@code call_indirect}'s is in
     * Chicory's bridge method). A loop that calls first writes its fuel back at the call and has no
     * checkpoint; the check before the call does the back edge's work.
     */
    @ParameterizedTest
    @CsvSource({
        "1, spin_br, 1, 0",
        "2, spin_br_if, 1, 0",
        "3, spin_br_table, 1, 0",
        "4, calls_first, 0, 1",
        "5, recurse, 1, 2",
        "6, indirect_first, 0, 0"
    })
    void checksLeaveTheBackEdges(int index, String export, int checkpoints, int chicoryChecks) {
        MethodNode m = functions.get("func_" + index);
        assertThat(calls(m, "checkpoint")).as(export + " checkpoints").isEqualTo(checkpoints);
        assertThat(calls(m, "checkInterruption"))
                .as(export + " interrupt checks")
                .isEqualTo(chicoryChecks);
    }

    private static int calls(MethodNode m, String name) {
        int n = 0;
        for (AbstractInsnNode i : m.instructions) {
            if (i instanceof MethodInsnNode call && call.name.equals(name)) {
                n++;
            }
        }
        return n;
    }

    @ParameterizedTest
    @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // fails, not hangs
    @CsvSource({
        "spin_br, ''",
        "spin_br_if, ''",
        "spin_br_table, ''",
        "calls_first, ''",
        "indirect_first, ''",
        "recurse, 60"
    })
    void aDeadlineStillStopsTheLoop(String export, String arg) throws Exception {
        long[] args = arg.isEmpty() ? new long[0] : new long[] {Long.parseLong(arg)};
        Instance instance = instance(FUEL);
        Interrupted.after(
                50,
                () ->
                        assertThatThrownBy(() -> instance.export(export).apply(args))
                                .isInstanceOf(ChicoryInterruptedException.class));
        assertThat(MemoryFuel.get(instance.memory()))
                .as("fuel written back before the deadline")
                .isLessThan(FUEL)
                .isPositive();
    }

    @Test
    void aLoopWithACheckpointStillRunsOutOfFuel() {
        Instance instance = instance(1_000_000);
        assertThatThrownBy(() -> instance.export("spin_br").apply())
                .hasMessageContaining("unreachable");
        assertThat(MemoryFuel.get(instance.memory())).isEqualTo(-1);
    }

    private static Instance instance(long fuel) {
        Instance instance =
                Instance.builder(module)
                        .withMemoryFactory(
                                limits -> TestMemories.of(limits, ResetStrategy.COPY_ON_WRITE))
                        .withMachineFactory(compiled.factory())
                        .build();
        MemoryFuel.set(fuel, instance.memory());
        return instance;
    }
}
