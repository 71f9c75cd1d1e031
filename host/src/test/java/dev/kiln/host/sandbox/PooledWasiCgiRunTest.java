package dev.kiln.host.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.InvocationOutcome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every {@link WasiCgiRunTest} again, on pooled command instances as the host runs them (one
 * instance per module, reset to its snapshot after each invocation, replaced when it may not serve
 * again), and what pooling itself must keep: no state between invocations, and an instance in doubt
 * never reused.
 */
class PooledWasiCgiRunTest extends WasiCgiRunTest {
    private final Map<CompiledModule, GuestInstance> pool = new HashMap<>();
    private GuestInstance last;

    @Override
    SandboxResult run(
            CompiledModule module,
            InvocationContext context,
            String stdin,
            InvocationLimits limits,
            long budget,
            Map<String, Path> dirs) {
        if (!module.pooled()) {
            // A start function: the host runs such a command on a new instance every time.
            last = null;
            return super.run(module, context, stdin, limits, budget, dirs);
        }
        GuestInstance instance = pool.computeIfAbsent(module, CompiledModule::instantiate);
        last = instance;
        SandboxResult r =
                WasiCgiRun.run(
                        instance,
                        context,
                        stdin.getBytes(StandardCharsets.UTF_8),
                        limits,
                        budget,
                        dirs,
                        List.of(tmp));
        if (!instance.resetForReuse()) {
            pool.remove(module);
        }
        return r;
    }

    @Test
    void oneInstanceServesEveryInvocationFromTheSameState() {
        String wat =
                """
                (module
                  (import "wasi_snapshot_preview1" "fd_write"
                    (func $fd_write (param i32 i32 i32 i32) (result i32)))
                  (memory (export "memory") 1 4)
                  (global $runs (mut i32) (i32.const 0))
                  (data (i32.const 64) "Content-Type: text/plain\\n\\nruns=? stored=? pages=?")
                  (func (export "_start")
                    (global.set $runs (i32.add (global.get $runs) (i32.const 1)))
                    (i32.store8 (i32.const 1000) (i32.add (i32.load8_u (i32.const 1000)) (i32.const 1)))
                    (drop (memory.grow (i32.const 1)))
                    (i32.store8 (i32.const 95) (i32.add (i32.const 48) (global.get $runs)))
                    (i32.store8 (i32.const 104) (i32.add (i32.const 48) (i32.load8_u (i32.const 1000))))
                    (i32.store8 (i32.const 112) (i32.add (i32.const 48) (memory.size)))
                    (i32.store (i32.const 0) (i32.const 64))
                    (i32.store (i32.const 4) (i32.const 49))
                    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
                """;
        var module = compileWat(wat);
        assertThat(module.pooled()).isTrue();
        GuestInstance first = null;
        long fuel = -1;
        for (int i = 0; i < 4; i++) {
            SandboxResult r =
                    run(module, invoke(), "", InvocationLimits.DEFAULTS, BUDGET, Map.of());
            assertThat(body(r)).isEqualTo("runs=1 stored=1 pages=2");
            first = first == null ? last : first;
            assertThat(last).isSameAs(first);
            assertThat(r.fuel()).isEqualTo(fuel < 0 ? r.fuel() : fuel);
            fuel = r.fuel();
        }
    }

    @Test
    void procExitZeroKeepsTheInstanceAndAnyOtherExitDiscardsIt() {
        CompiledModule exit = compile("exit");
        assertThat(body(run(exit, invoke(), "0", InvocationLimits.DEFAULTS, BUDGET, Map.of())))
                .isEqualTo("partial body");
        GuestInstance served = last;
        assertThat(served.reusable()).isTrue();
        assertThat(body(run(exit, invoke(), "0", InvocationLimits.DEFAULTS, BUDGET, Map.of())))
                .isEqualTo("partial body");
        assertThat(last).isSameAs(served);

        SandboxResult failed =
                run(exit, invoke(), "3", InvocationLimits.DEFAULTS, BUDGET, Map.of());
        failure(failed, InvocationOutcome.GuestError.class);
        assertThat(served.reusable()).isFalse();
        assertThat(body(run(exit, invoke(), "0", InvocationLimits.DEFAULTS, BUDGET, Map.of())))
                .isEqualTo("partial body");
        assertThat(last).isNotSameAs(served);
    }

    @Test
    void aTrapOrSpentFuelDiscardsTheInstanceAndTheNextOneServes() {
        CompiledModule loop = compile("loop");
        failure(
                run(loop, invoke(), "", InvocationLimits.DEFAULTS, 100_000, Map.of()),
                InvocationOutcome.OutOfFuel.class);
        assertThat(last.reusable()).isFalse();
        CompiledModule trap = compile("trap");
        failure(
                run(trap, invoke(), "", InvocationLimits.DEFAULTS, BUDGET, Map.of()),
                InvocationOutcome.Trap.class);
        GuestInstance trapped = last;
        assertThat(trapped.reusable()).isFalse();
        failure(
                run(trap, invoke(), "", InvocationLimits.DEFAULTS, BUDGET, Map.of()),
                InvocationOutcome.Trap.class);
        assertThat(last).isNotSameAs(trapped);
    }

    @Test
    void argumentsAndEnvironmentAreExactlyWhatANewInstanceSees() {
        CompiledModule env = compile("env");
        var limits = InvocationLimits.DEFAULTS;
        for (String stdin : List.of("four", "", "a longer body with ünïcode")) {
            String pooled = body(run(env, invoke(), stdin, limits, BUDGET, Map.of()));
            String fresh = body(super.run(env, invoke(), stdin, limits, BUDGET, Map.of()));
            assertThat(pooled).isEqualTo(fresh).contains("GREETING=hi", "KILN_REQUEST_ID=req-1");
        }
    }

    @Test
    void aRunThatClosesADescriptorLeavesTheNextOneAFreshTable() {
        // Closes stdin and prints fd_close's errno: 0 on a fresh table, 8 (EBADF) if the
        // descriptor table of the run before had carried over.
        String wat =
                """
                (module
                  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
                  (import "wasi_snapshot_preview1" "fd_write"
                    (func $fd_write (param i32 i32 i32 i32) (result i32)))
                  (memory (export "memory") 1)
                  (data (i32.const 64) "closed=?")
                  (func (export "_start")
                    (i32.store8 (i32.const 71) (i32.add (i32.const 48) (call $fd_close (i32.const 0))))
                    (i32.store (i32.const 0) (i32.const 64))
                    (i32.store (i32.const 4) (i32.const 8))
                    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
                """;
        var module = compileWat(wat);
        GuestInstance first = null;
        for (int i = 0; i < 3; i++) {
            SandboxResult r =
                    run(module, invoke(), "", InvocationLimits.DEFAULTS, BUDGET, Map.of());
            assertThat(body(r)).isEqualTo("closed=0");
            first = first == null ? last : first;
            assertThat(last).isSameAs(first);
        }
    }

    @Test
    void aCommandWithAStartFunctionIsNotPooled() {
        String wat =
                """
                (module
                  (memory (export "memory") 1)
                  (func $init)
                  (start $init)
                  (func (export "_start")))
                """;
        var module = compileWat(wat);
        assertThat(module.pooled()).isFalse();
        assertThat(compile("hello").pooled()).isTrue();
    }
}
