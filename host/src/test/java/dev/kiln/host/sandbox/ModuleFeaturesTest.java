package dev.kiln.host.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.testing.RawModule;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The WebAssembly features Kiln accepts and refuses at upload (docs/adr/0026): each refused one is
 * refused by the validator, naming the feature; each accepted one compiles and runs.
 */
class ModuleFeaturesTest {
    static final ModuleRules RULES = new ModuleRules("kiln_handle", 16, ModuleLimits.DEFAULTS);

    @TempDir Path tmp;

    private static void assertRefused(byte[] wasm, String... phrases) {
        assertThatThrownBy(() -> ModuleValidator.validate(wasm, RULES))
                .isInstanceOfSatisfying(
                        KilnException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_MODULE))
                .hasMessageContainingAll(phrases);
    }

    private SandboxResult run(byte[] wasm) {
        GuestInstance guest =
                new ModuleCompiler(tmp)
                        .compile(ModuleValidator.validate(wasm, RULES))
                        .instantiate();
        var context =
                new InvocationContext(
                        "req-1", "svc", "fn", "sha", "invoke", Long.MAX_VALUE, null, Map.of());
        // The default budget of a 10 s timeout: table.grow charges one unit per element asked for.
        return guest.invoke(context, new byte[0], InvocationLimits.DEFAULTS, 10_000_000_000L);
    }

    private static String bodyHex(SandboxResult r) {
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.Ok.class);
        return HexFormat.of().formatHex(((InvocationOutcome.Ok) r.outcome()).body());
    }

    /** kiln_handle of a WAT module; it returns 4 bytes at address 0. */
    private static String wat(String handleBody) {
        return """
        (module
          (memory (export "memory") 1)
          (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
          (func (export "kiln_handle") (param i32 i32) (result i64)
            %s))
        """
                .formatted(handleBody);
    }

    // --- refused ----------------------------------------------------------------------------

    @Test
    void simdInstructionsAreRefused() {
        // The parser validates this; Chicory 1.7.5's compiler fails on it ("Unhandled opcode").
        byte[] wasm =
                Wat.compile(
                        wat(
                                "(i32.store (i32.const 0) (i32x4.extract_lane 0 (i32x4.add"
                                    + " (v128.const i32x4 1 2 3 4) (v128.const i32x4 1 1 1 1))))"
                                    + " (i64.const 4)"));
        assertRefused(wasm, "SIMD", "function 1");
    }

    @Test
    void aV128LocalAloneIsRefused() {
        // Not one SIMD instruction, yet the compiler fails ("Unsupported type id: 123").
        assertRefused(Wat.compile(wat("(local v128) (i64.const 0)")), "SIMD");
        assertRefused(RawModule.kiln().type("60017b00").bytes(), "SIMD", "type 3");
        assertRefused(RawModule.kiln().global("7b00fd0c" + "00".repeat(16) + "0b").bytes(), "SIMD");
    }

    @Test
    void gcArraysAndStructsAreRefused() {
        // (array (mut i32)), array.new_default of 10, drop: objects outside linear memory.
        byte[] array = RawModule.kiln().type("5e7f01").handle("", "410a fb0703 1a 4200").bytes();
        assertRefused(array, "garbage-collected", "type 3", "outside linear memory");
        byte[] struct = RawModule.kiln().type("5f017f01").bytes();
        assertRefused(struct, "garbage-collected", "type 3");
    }

    @Test
    void gcInstructionsAndReferenceTypesWithoutGcTypesAreRefused() {
        // ref.i31 needs no type declaration.
        assertRefused(
                RawModule.kiln().handle("", "412a fb1c 1a 4200").bytes(),
                "garbage-collected",
                "function 1");
        // A local of type anyref.
        assertRefused(RawModule.kiln().handle("016e", "4200").bytes(), "garbage-collected");
        // ref.null any.
        assertRefused(RawModule.kiln().handle("", "d06e 1a 4200").bytes(), "garbage-collected");
        // A block typed (result eqref).
        assertRefused(
                RawModule.kiln().handle("", "026d d06d 0b 1a 4200").bytes(), "garbage-collected");
    }

    @Test
    void recursionGroupsAndSubtypesAreRefused() {
        assertRefused(RawModule.kiln().type("4e02 600000 600000").bytes(), "garbage-collected");
        assertRefused(RawModule.kiln().type("500060 0000").bytes(), "garbage-collected");
    }

    @Test
    void typedFunctionReferencesAreRefused() {
        // type 3 = () -> i32; function 2 returns 42; kiln_handle calls it through call_ref.
        byte[] callRef =
                RawModule.kiln()
                        .type("6000017f")
                        .function(3, "", "412a")
                        .declare(2)
                        .handle("", "d202 1403 1a 4200")
                        .bytes();
        assertRefused(callRef, "typed references", "function 1");
        // A local of type (ref null 3).
        assertRefused(
                RawModule.kiln().type("6000017f").handle("016303", "4200").bytes(),
                "typed references");
    }

    @Test
    void tailCallsAreRefused() {
        byte[] tail = RawModule.kiln().handle("", "2000 2001 1201").bytes();
        assertRefused(tail, "tail calls", "function 1");
    }

    @Test
    void memory64AndCustomPageSizesAreNamed() {
        assertRefused(RawModule.kiln().memory("0401").bytes(), "memory64");
        assertRefused(RawModule.kiln().memory("080110").bytes(), "custom page sizes");
    }

    @Test
    void legacyExceptionHandlingDoesNotParse() {
        // try (0x06) ... end: the legacy proposal, which Chicory's parser does not know.
        assertRefused(RawModule.kiln().handle("", "0640 0b 4200").bytes(), "does not parse");
    }

    // --- accepted ----------------------------------------------------------------------------

    @Test
    void exceptionHandlingRuns() {
        // tag 0 : (i32); function 2 throws it with its argument; kiln_handle catches 42 with
        // try_table (catch 0 -> block) and stores it at 0.
        byte[] wasm =
                RawModule.kiln()
                        .type("60017f00")
                        .tag(3)
                        .function(3, "", "2000 0800")
                        .handle("", "4100 027f 1f40 01 00 00 00 412a 1002 0b 417f 0b 360200 4204")
                        .bytes();
        assertThat(bodyHex(run(wasm))).isEqualTo("2a000000");
    }

    @Test
    void anUncaughtExceptionIsATrap() {
        byte[] wasm =
                RawModule.kiln()
                        .type("60017f00")
                        .tag(3)
                        .function(3, "", "2000 0800")
                        .handle("", "412a 1002 4200")
                        .bytes();
        SandboxResult r = run(wasm);
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.Trap.class);
        assertThat(((InvocationOutcome.Failure) r.outcome()).message())
                .contains("uncaught exception");
    }

    @Test
    void atomicsOnAnUnsharedMemoryRun() {
        // i32.atomic.rmw.add at 0 by 5, then return the 4 bytes at 0.
        byte[] wasm = RawModule.kiln().handle("", "4100 4105 fe1e0200 1a 4204").bytes();
        assertThat(bodyHex(run(wasm))).isEqualTo("05000000");
    }

    @Test
    void extendedConstantExpressionsRun() {
        // global 0 : i32 = 40 + 2
        byte[] wasm =
                RawModule.kiln()
                        .global("7f00 4128 4102 6a 0b")
                        .handle("", "4100 2300 360200 4204")
                        .bytes();
        assertThat(bodyHex(run(wasm))).isEqualTo("2a000000");
    }

    @Test
    void referenceTypesMultiValueAndBulkMemoryRun() {
        String body =
                """
                (table $t 1 funcref)
                (func $two (result i32 i32) (i32.const 40) (i32.const 2))
                (memory (export "memory") 1)
                (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                (func (export "kiln_handle") (param i32 i32) (result i64)
                  (memory.fill (i32.const 0) (i32.const 0) (i32.const 4))
                  (i32.const 0)
                  (call $two)
                  (i32.add)
                  (i32.add (i32.const 1) (table.grow $t (ref.null func) (i32.const 1)))
                  (i32.add)
                  (i32.store)
                  (i64.const 4)))
                """;
        // 40 + 2 + (1 + old size 1) = 44
        assertThat(bodyHex(run(Wat.compile("(module " + body)))).isEqualTo("2c000000");
    }

    // --- table.grow --------------------------------------------------------------------------

    @Test
    void tableGrowByAHugeDeltaReturnsMinusOneAndTheTableStaysUsable() {
        // Chicory 1.7.5 wraps size + 0x7FFFFFFF to a negative int and traps; the spec says -1.
        String wat =
                """
                (module
                  (memory (export "memory") 1)
                  (table $t 1 funcref)
                  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                  (func (export "kiln_handle") (param i32 i32) (result i64)
                    (i32.store (i32.const 0)
                      (table.grow $t (ref.null func) (i32.const 0x7FFFFFFF)))
                    (i32.store (i32.const 4)
                      (table.grow $t (ref.null func) (i32.const -1)))
                    (i32.store (i32.const 8)
                      (table.grow $t (ref.null func) (i32.const 2)))
                    (i32.store (i32.const 12) (table.size $t))
                    (i64.const 16)))
                """;
        assertThat(bodyHex(run(Wat.compile(wat))))
                .isEqualTo("ffffffff" + "ffffffff" + "01000000" + "03000000");
    }

    @Test
    void tableGrowStopsAtTheTableElementLimit() {
        var limits = ModuleLimits.DEFAULTS;
        String wat =
                """
                (module
                  (memory (export "memory") 1)
                  (table $t 1 funcref)
                  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                  (func (export "kiln_handle") (param i32 i32) (result i64)
                    (i32.store (i32.const 0)
                      (table.grow $t (ref.null func) (i32.const %d)))
                    (i32.store (i32.const 4)
                      (table.grow $t (ref.null func) (i32.const %d)))
                    (i64.const 8)))
                """
                        .formatted(limits.maxTableElements(), limits.maxTableElements() - 1);
        // One more than the limit is refused; up to the limit succeeds (old size 1).
        assertThat(bodyHex(run(Wat.compile(wat)))).isEqualTo("ffffffff" + "01000000");
    }
}
