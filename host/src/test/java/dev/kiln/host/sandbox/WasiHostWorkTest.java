package dev.kiln.host.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.kiln.abi.EffectLimits;
import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.testing.Wat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WASI calls whose arguments name far more work than a call may do (1024 vectors of all of memory)
 * are bounded per call, with no deadline to help: before docs/adr/0027 each of these took minutes
 * (64 GiB copied, or allocated).
 */
class WasiHostWorkTest {
    static final ModuleRules RULES =
            new ModuleRules("kiln_handle", 64, ModuleLimits.DEFAULTS, Abi.WASI_CGI);

    /** Detects a hang; the calls below take well under a second. */
    static final Duration HANG = Duration.ofSeconds(30);

    @TempDir Path tmp;

    private SandboxResult run(String fixture, String stdin) {
        CompiledModule module =
                new ModuleCompiler(tmp.resolve("code"))
                        .compile(
                                ModuleValidator.validate(
                                        Wat.fixture("hostwork/" + fixture), RULES));
        var context = new InvocationContext("req", "svc", "fn", "sha", "invoke", 0, null, Map.of());
        return assertTimeoutPreemptively(
                HANG,
                () ->
                        WasiCgiRun.run(
                                module,
                                context,
                                stdin.getBytes(StandardCharsets.UTF_8),
                                InvocationLimits.DEFAULTS,
                                1_000_000_000_000L,
                                Map.of(),
                                List.of()));
    }

    private static int stdoutInt(SandboxResult r) {
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.Ok.class);
        byte[] body = ((InvocationOutcome.Ok) r.outcome()).body();
        assertThat(body).hasSize(4);
        return ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    @Test
    void aStderrWriteOfAllMemoryTimes1024IsCutShortAtThePerCallCap() {
        SandboxResult r = run("stderr_iovec_once", "");
        assertThat(stdoutInt(r)).isEqualTo(EffectLimits.DEFAULT_MAX_HOST_BYTES_PER_CALL);
        assertThat(r.logTruncated()).isTrue();
        // Charged: 16 MiB at one unit per 8 bytes, on top of the guest's own instructions.
        assertThat(r.fuel()).isGreaterThan(EffectLimits.DEFAULT_MAX_HOST_BYTES_PER_CALL / 8);
    }

    @Test
    void aStdinReadIntoHugeVectorsMovesOnlyThePayload() {
        SandboxResult r = run("stdin_iovec_once", "abc");
        assertThat(stdoutInt(r)).isEqualTo(3);
    }

    @Test
    void aRandomGetOverThePerCallCapIsEinval() {
        SandboxResult r = run("random_get_over_cap", "");
        assertThat(stdoutInt(r)).isEqualTo(WasiGuards.EINVAL);
    }
}
