package dev.kiln.host.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.testing.RawModule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bounds on what makes Chicory's compiler slow or fail (docs/adr/0026): refused past the limit,
 * naming it; compiled and run at it.
 */
class CompileBoundsTest {
    static final ModuleLimits LIMITS = ModuleLimits.DEFAULTS;
    static final ModuleRules RULES = new ModuleRules("kiln_handle", 16, LIMITS);

    @TempDir Path tmp;

    private static String leb(long v) {
        StringBuilder hex = new StringBuilder();
        do {
            int b = (int) (v & 0x7f);
            v >>>= 7;
            hex.append(String.format("%02x", v != 0 ? b | 0x80 : b));
        } while (v != 0);
        return hex.toString();
    }

    /** A block holding a br_table on the first argument with {@code targets} targets, then echo. */
    private static String brTable(int targets) {
        return "0240 2000 0e" + leb(targets) + "00".repeat(targets) + "00 0b";
    }

    private static final String ECHO = "2000ad4220862001ad84";

    /** {@code depth} i64 constants pushed, then dropped, then the echo. */
    private static String stack(int depth) {
        return "4201".repeat(depth) + "1a".repeat(depth);
    }

    private static void assertRefused(byte[] wasm, String phrase) {
        assertThatThrownBy(() -> ModuleValidator.validate(wasm, RULES))
                .isInstanceOfSatisfying(
                        KilnException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_MODULE))
                .hasMessageContaining(phrase);
    }

    private void assertRuns(byte[] wasm) {
        GuestInstance guest =
                new ModuleCompiler(tmp)
                        .compile(ModuleValidator.validate(wasm, RULES))
                        .instantiate();
        var context =
                new InvocationContext(
                        "req-1", "svc", "fn", "sha", "invoke", Long.MAX_VALUE, null, Map.of());
        SandboxResult r =
                guest.invoke(
                        context,
                        "hi".getBytes(StandardCharsets.UTF_8),
                        InvocationLimits.DEFAULTS,
                        1_000_000_000L);
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.Ok.class);
        assertThat(((InvocationOutcome.Ok) r.outcome()).body())
                .isEqualTo("hi".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aBrTableAtTheTargetLimitCompilesAndOneMoreIsRefused() {
        int limit = LIMITS.maxBrTableTargets();
        assertRuns(RawModule.kiln().handle("", brTable(limit) + ECHO).bytes());
        assertRefused(
                RawModule.kiln().handle("", brTable(limit + 1) + ECHO).bytes(),
                "targets in one br_table; the limit is " + limit);
    }

    @Test
    void brTableTargetsAreCappedPerModule() {
        var tight =
                new ModuleLimits(
                        100, 1_000, 10, 10, 100, 100, 1, 10, 10, 1024, 100, 1 << 20, 100, 250, 100);
        byte[] wasm =
                RawModule.kiln()
                        .handle("", brTable(100) + brTable(100) + brTable(51) + ECHO)
                        .bytes();
        assertThatThrownBy(
                        () ->
                                ModuleValidator.validate(
                                        wasm, new ModuleRules("kiln_handle", 16, tight)))
                .hasMessageContaining("251 br_table targets; the limit is 250");
    }

    @Test
    void anOperandStackAtTheLimitCompilesAndOneDeeperIsRefused() {
        int limit = LIMITS.maxOperandStackDepth();
        // i64s take two JVM stack slots each: the worst case for Chicory's compiler.
        assertRuns(RawModule.kiln().handle("", stack(limit) + ECHO).bytes());
        assertRefused(
                RawModule.kiln().handle("", stack(limit + 1) + ECHO).bytes(),
                "values on one function's operand stack; the limit is " + limit);
    }

    @Test
    void anOperandStackTooDeepForTheCompilerIsRefusedNotCrashed() {
        // 100k pushes: Chicory's compiler fails inside ASM (an index of -32768) on this module.
        assertRefused(
                RawModule.kiln()
                        .handle("", "4101".repeat(100_000) + "1a".repeat(100_000) + ECHO)
                        .bytes(),
                "operand stack");
    }

    @Test
    void theStackCountFollowsBlocksCallsAndBranches() {
        var depth =
                new OperandStackDepth(
                        ModuleValidator.validate(RawModule.kiln().bytes(), RULES)
                                .module
                                .typeSection(),
                        i -> null);
        var wasm =
                RawModule.kiln()
                        // block (result i32): 3 consts, br 0 keeps 1; then 2 more; i32.add
                        .handle(
                                "",
                                "027f 4101 4101 4101 0c00 0b 4101 6a 1a"
                                        // if with else: each arm pushes 2, drops 1
                                        + " 2000 0440 4101 4101 1a 1a 05 4101 1a 0b"
                                        + ECHO)
                        .bytes();
        var body = ModuleValidator.validate(wasm, RULES).module.codeSection().getFunctionBody(1);
        // Deepest: 3 inside the block (then the echo peaks at 3 too).
        assertThat(depth.max(body.instructions())).isEqualTo(3);
    }
}
