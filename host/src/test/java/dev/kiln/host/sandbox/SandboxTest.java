package dev.kiln.host.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.testing.Wat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxTest {
    static final long BUDGET = 1_000_000_000L;
    static final ModuleRules RULES = new ModuleRules("kiln_handle", 16, ModuleLimits.DEFAULTS);

    /** A minimal kiln-ABI module; {@code body} is the code of kiln_handle(ptr, len) -> i64. */
    static String module(String imports, String body) {
        return """
        (module
          %s
          (memory (export "memory") 1)
          (global $bump (mut i32) (i32.const 1024))
          (func (export "kiln_alloc") (param $len i32) (result i32)
            (local $p i32)
            global.get $bump
            local.set $p
            global.get $bump
            local.get $len
            i32.add
            global.set $bump
            local.get $p)
          (func (export "kiln_handle") (param $ptr i32) (param $len i32) (result i64)
            %s))
        """
                .formatted(imports, body);
    }

    static final String ECHO =
            module(
                    "",
                    """
                    local.get $ptr
                    i64.extend_i32_u
                    i64.const 32
                    i64.shl
                    local.get $len
                    i64.extend_i32_u
                    i64.or\
                    """);

    @TempDir Path tmp;

    private GuestInstance instantiate(String wat) {
        var compiled =
                new ModuleCompiler(tmp).compile(ModuleValidator.validate(Wat.compile(wat), RULES));
        return compiled.instantiate();
    }

    private static InvocationContext context() {
        return new InvocationContext(
                "req-1", "svc", "fn", "sha", "invoke", Long.MAX_VALUE, null, Map.of());
    }

    @Test
    void echoReturnsItsInput() {
        SandboxResult r =
                instantiate(ECHO)
                        .invoke(
                                context(),
                                "hello".getBytes(StandardCharsets.UTF_8),
                                InvocationLimits.DEFAULTS,
                                BUDGET);
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.Ok.class);
        assertThat(new String(((InvocationOutcome.Ok) r.outcome()).body(), StandardCharsets.UTF_8))
                .isEqualTo("hello");
    }

    @Test
    void outputOverTheCapIsOutputLimit() {
        var limits = new InvocationLimits(InvocationLimits.DEFAULTS.effects(), 4);
        SandboxResult r = instantiate(ECHO).invoke(context(), new byte[5], limits, BUDGET);
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.OutputLimit.class);
    }

    @Test
    void unreachableIsATrapAndTheInstanceIsRetired() {
        GuestInstance g = instantiate(module("", "unreachable"));
        SandboxResult r = g.invoke(context(), new byte[0], InvocationLimits.DEFAULTS, BUDGET);
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.Trap.class);
        assertThat(((InvocationOutcome.Failure) r.outcome()).message()).contains("unreachable");
        assertThat(g.reusable()).isFalse();
    }

    @Test
    void divideByZeroIsATrapWithTheSpecPhrase() {
        SandboxResult r =
                instantiate(module("", "i32.const 1\ni32.const 0\ni32.div_s\ndrop\ni64.const 0"))
                        .invoke(context(), new byte[0], InvocationLimits.DEFAULTS, BUDGET);
        assertThat(((InvocationOutcome.Failure) r.outcome()).message())
                .isEqualTo("wasm trap: integer divide by zero");
    }

    @Test
    void resultOutsideMemoryIsAnAbiViolation() {
        SandboxResult r =
                instantiate(module("", "i64.const 0x0000FFFF00000010"))
                        .invoke(context(), new byte[0], InvocationLimits.DEFAULTS, BUDGET);
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.AbiViolation.class);
    }

    @Test
    void unboundedRecursionIsStackExhausted() {
        String wat =
                """
                (module
                  (memory (export "memory") 1)
                  (func (export "kiln_alloc") (param i32) (result i32) i32.const 0)
                  (func $r (param i32) (result i32) local.get 0 i32.const 1 i32.add call $r)
                  (func (export "kiln_handle") (param i32 i32) (result i64)
                    i32.const 0 call $r i64.extend_i32_u))
                """;
        SandboxResult r =
                instantiate(wat).invoke(context(), new byte[0], InvocationLimits.DEFAULTS, BUDGET);
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.StackExhausted.class);
    }

    @Test
    void validatorRefusesForeignImportsNamingThem() {
        String wat =
                module(
                        "(import \"wasi_snapshot_preview1\" \"fd_write\" (func (param i32 i32 i32"
                                + " i32) (result i32)))",
                        "i64.const 0");
        assertThatThrownBy(() -> ModuleValidator.validate(Wat.compile(wat), RULES))
                .isInstanceOfSatisfying(
                        KilnException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_MODULE))
                .hasMessageContaining("wasi_snapshot_preview1.fd_write");
    }

    @Test
    void validatorRefusesAKilnImportWithTheWrongSignature() {
        String wat = module("(import \"kiln\" \"log\" (func (param i32)))", "i64.const 0");
        assertThatThrownBy(() -> ModuleValidator.validate(Wat.compile(wat), RULES))
                .hasMessageContaining("kiln.log")
                .hasMessageContaining("signature");
    }

    @Test
    void validatorRefusesMemoryBeyondTheCap() {
        String wat =
                ECHO.replace("(memory (export \"memory\") 1)", "(memory (export \"memory\") 300)");
        assertThatThrownBy(() -> ModuleValidator.validate(Wat.compile(wat), RULES))
                .hasMessageContaining("memoryMiB of 16");
    }

    @Test
    void validatorRefusesAMissingHandler() {
        assertThatThrownBy(
                        () ->
                                ModuleValidator.validate(
                                        Wat.compile(ECHO),
                                        new ModuleRules("other", 16, ModuleLimits.DEFAULTS)))
                .hasMessageContaining("'other'");
    }

    @Test
    void validatorRefusesGarbage() {
        assertThatThrownBy(() -> ModuleValidator.validate(new byte[] {1, 2, 3}, RULES))
                .hasMessageContaining("bad magic");
        byte[] echo = Wat.compile(ECHO);
        byte[] truncated = java.util.Arrays.copyOf(echo, echo.length - 5);
        assertThatThrownBy(() -> ModuleValidator.validate(truncated, RULES))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("does not parse");
    }

    @Test
    void declarationsBeyondTheModuleLimitsAreRefusedNamingTheLimit() {
        var tight = new ModuleLimits(2, 1_000, 3, 4, 100, 100, 1, 10, 10, 1024, 100, 4096, 3, 5, 6);
        var rules = new ModuleRules("kiln_handle", 16, tight);
        StringBuilder funcs = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            funcs.append("(func $f").append(i).append(")");
        }
        assertThatThrownBy(
                        () ->
                                ModuleValidator.validate(
                                        Wat.compile(module(funcs.toString(), "i64.const 0")),
                                        rules))
                .hasMessageContaining("functions; the limit is 2");
        String locals = module("", "(local i32 i32 i32 i32) i64.const 0");
        assertThatThrownBy(() -> ModuleValidator.validate(Wat.compile(locals), rules))
                .hasMessageContaining("locals per function");
        String deep = module("", "block block block block block end end end end end i64.const 0");
        assertThatThrownBy(() -> ModuleValidator.validate(Wat.compile(deep), rules))
                .hasMessageContaining("block nesting depth");
        String table = module("(table 11 funcref)", "i64.const 0");
        assertThatThrownBy(() -> ModuleValidator.validate(Wat.compile(table), rules))
                .hasMessageContaining("table elements");
        String data = module("(data (i32.const 0) \"" + "x".repeat(2000) + "\")", "i64.const 0");
        assertThatThrownBy(() -> ModuleValidator.validate(Wat.compile(data), rules))
                .hasMessageContaining("data bytes");
    }

    @Test
    void memoryGrowStopsAtTheCap() {
        // 16 MiB cap = 256 pages; growing by 300 must fail with -1 per the Wasm spec.
        String wat =
                module(
                        "",
                        "i32.const 300\nmemory.grow\ni32.const -1\ni32.eq\n"
                                + "if (result i64) i64.const 0 else unreachable end");
        SandboxResult r =
                instantiate(wat).invoke(context(), new byte[0], InvocationLimits.DEFAULTS, BUDGET);
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.Ok.class);
    }

    @Test
    void aTrapAfterARefusedGrowIsMemoryLimitAndKeepsTheTrapKind() {
        // 16 MiB cap = 256 pages; memory is at 1 page, far below the cap, when the grow of 300 is
        // refused; the guest then aborts the way Rust and C do when an allocation fails.
        String wat = module("", "i32.const 300\nmemory.grow\ndrop\nunreachable");
        GuestInstance instance = instantiate(wat);
        SandboxResult r =
                instance.invoke(context(), new byte[0], InvocationLimits.DEFAULTS, BUDGET);
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.MemoryLimit.class);
        assertThat(((InvocationOutcome.Failure) r.outcome()).message())
                .contains("memory.grow of 300 pages was refused")
                .contains("16 MiB")
                .contains("unreachable");
    }

    @Test
    void aTrapWithoutARefusedGrowStaysAGuestTrap() {
        // The same trap with a grow that succeeded: not the cap's doing.
        String wat = module("", "i32.const 3\nmemory.grow\ndrop\nunreachable");
        SandboxResult r =
                instantiate(wat).invoke(context(), new byte[0], InvocationLimits.DEFAULTS, BUDGET);
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.Trap.class);
        assertThat(((InvocationOutcome.Failure) r.outcome()).message()).contains("unreachable");
    }

    @Test
    void aRefusedGrowIsForgottenByTheNextInvocation() {
        // First payload byte 1: grow 300 (refused) and return; then a trap with nothing refused.
        String wat =
                module(
                        "",
                        """
                        local.get $ptr
                        i32.load8_u
                        if (result i64)
                          i32.const 300
                          memory.grow
                          drop
                          i64.const 0
                        else
                          unreachable
                        end\
                        """);
        GuestInstance instance = instantiate(wat);
        SandboxResult refused =
                instance.invoke(context(), new byte[] {1}, InvocationLimits.DEFAULTS, BUDGET);
        assertThat(refused.outcome()).isInstanceOf(InvocationOutcome.Ok.class);
        SandboxResult trap =
                instance.invoke(context(), new byte[] {0}, InvocationLimits.DEFAULTS, BUDGET);
        assertThat(trap.outcome()).isInstanceOf(InvocationOutcome.Trap.class);
    }
}
