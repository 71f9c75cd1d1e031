package dev.kiln.host.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.testing.Wat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Instances start from the post-init snapshot, and a reset restores everything an invocation can
 * change: memory (also after growth), globals, tables, dropped segments.
 */
class SnapshotTest {
    static final ModuleRules RULES = new ModuleRules("kiln_handle", 16, ModuleLimits.DEFAULTS);

    @TempDir Path tmp;

    private CompiledModule compile(String wat, ResetStrategy strategy) {
        return new ModuleCompiler(tmp, strategy)
                .compile(ModuleValidator.validate(Wat.compile(wat), RULES));
    }

    private static String call(GuestInstance g, String payload) {
        SandboxResult r =
                g.invoke(
                        new InvocationContext(
                                "r", "s", "f", "sha", "invoke", Long.MAX_VALUE, null, Map.of()),
                        payload.getBytes(StandardCharsets.UTF_8),
                        InvocationLimits.DEFAULTS,
                        1_000_000_000L);
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.Ok.class);
        return new String(((InvocationOutcome.Ok) r.outcome()).body(), StandardCharsets.UTF_8);
    }

    /** Handler returns 8 bytes at 2048; {@code body} computes them. */
    private static String module(String extra, String init, String body) {
        return """
        (module
          (import "kiln" "clock_monotonic_ns" (func $now (result i64)))
          (memory (export "memory") 1 4)
          %s
          (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
          (func (export "kiln_init") %s)
          (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
            %s
            (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 8))))
        """
                .formatted(extra, init, body);
    }

    @ParameterizedTest
    @EnumSource(ResetStrategy.class)
    void initRunsOnceAndEveryInstanceStartsFromItsResult(ResetStrategy strategy) {
        // kiln_init stores the clock; a re-run in a later instance would store another value.
        CompiledModule m =
                compile(
                        module(
                                "",
                                "(i64.store (i32.const 4000) (call $now))",
                                "(i64.store (i32.const 2048) (i64.load (i32.const 4000)))"),
                        strategy);
        String first = call(m.instantiate(), "");
        for (int i = 0; i < 5; i++) {
            assertThat(call(m.instantiate(), "")).isEqualTo(first);
        }
    }

    @ParameterizedTest
    @EnumSource(ResetStrategy.class)
    void resetUndoesMemoryGlobalsAndGrowth(ResetStrategy strategy) {
        CompiledModule m =
                compile(
                        module(
                                "(global $g (mut i64) (i64.const 40))",
                                "(global.set $g (i64.const 48))",
                                """
                                (global.set $g (i64.add (global.get $g) (i64.const 1)))
                                (i64.store (i32.const 2048) (global.get $g))
                                (drop (memory.grow (i32.const 2)))
                                (i64.store (i32.const 70000) (i64.const 5))
                                """),
                        strategy);
        GuestInstance g = m.instantiate();
        for (int i = 0; i < 3; i++) {
            assertThat(call(g, "").charAt(0)).isEqualTo('1'); // 49: '1'
            assertThat(g.resetForReuse()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(ResetStrategy.class)
    void withoutResetStateCarriesOver(ResetStrategy strategy) {
        CompiledModule m =
                compile(
                        module(
                                "(global $g (mut i64) (i64.const 48))",
                                "",
                                """
                                (global.set $g (i64.add (global.get $g) (i64.const 1)))
                                (i64.store (i32.const 2048) (global.get $g))
                                """),
                        strategy);
        GuestInstance g = m.instantiate();
        assertThat(call(g, "").charAt(0)).isEqualTo('1');
        assertThat(call(g, "").charAt(0)).isEqualTo('2');
        assertThat(call(g, "").charAt(0)).isEqualTo('3');
    }

    @ParameterizedTest
    @EnumSource(ResetStrategy.class)
    void tablesAndDroppedSegmentsAreRestored(ResetStrategy strategy) {
        // The handler answers via call_indirect through slot 0, then points slot 0 elsewhere,
        // copies a passive segment and drops it: a fresh instance must see none of that.
        String extra =
                """
                (type $t (func (result i64)))
                (table $tab 2 funcref)
                (elem (i32.const 0) $a $b)
                (elem $spare func $b)
                (data $seg "OK")
                (func $a (result i64) (i64.const 65))
                (func $b (result i64) (i64.const 66))
                """;
        String body =
                """
                (i64.store (i32.const 2048) (call_indirect (type $t) (i32.const 0)))
                (table.set $tab (i32.const 0) (table.get $tab (i32.const 1)))
                (memory.init $seg (i32.const 2049) (i32.const 0) (i32.const 2))
                (data.drop $seg)
                (table.init $tab $spare (i32.const 1) (i32.const 0) (i32.const 1))
                (elem.drop $spare)
                """;
        CompiledModule m = compile(module(extra, "", body), strategy);
        GuestInstance g = m.instantiate();
        for (int i = 0; i < 3; i++) {
            assertThat(call(g, "")).startsWith("AOK");
            assertThat(g.resetForReuse()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(ResetStrategy.class)
    void aStartFunctionRunsPerInstanceYetTheSnapshotWins(ResetStrategy strategy) {
        // start writes 'S' at 2048; kiln_init overwrites it with 'I': every instance shows 'I'.
        String wat =
                """
                (module
                  (memory (export "memory") 1)
                  (data (i32.const 2049) "-data--")
                  (func $start (i32.store8 (i32.const 2048) (i32.const 83)))
                  (start $start)
                  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                  (func (export "kiln_init") (i32.store8 (i32.const 2048) (i32.const 73)))
                  (func (export "kiln_handle") (param i32 i32) (result i64)
                    (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 8))))
                """;
        CompiledModule m = compile(wat, strategy);
        for (int i = 0; i < 3; i++) {
            assertThat(call(m.instantiate(), "")).isEqualTo("I-data--");
        }
    }
}
