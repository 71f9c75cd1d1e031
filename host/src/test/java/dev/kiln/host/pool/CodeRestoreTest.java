package dev.kiln.host.pool;

import static dev.kiln.host.testing.TestHost.startKind;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.config.CompileAt;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * After a restart the host loads its functions' compiled code back into memory in the background
 * (docs/adr/0068): their first invocations find it, as after an upload, within half the memory
 * budget.
 */
class CodeRestoreTest {
    private static final long KIB = 1024;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir Path data;

    /**
     * The echo fixture made distinct (its own content hash) by a custom section named {@code n}.
     */
    private static byte[] echo(int n) {
        byte[] name = ("copy-" + n).getBytes(StandardCharsets.UTF_8);
        var out = new ByteArrayOutputStream();
        out.writeBytes(Wat.fixture("echo"));
        out.write(0); // custom section
        out.write(1 + name.length);
        out.write(name.length);
        out.writeBytes(name);
        return out.toByteArray();
    }

    private void deploy(int functions) {
        try (TestHost kiln = TestHost.start(data)) {
            for (int i = 0; i < functions; i++) {
                assertThat(kiln.deploy("s", "f" + i, echo(i)).statusCode()).isEqualTo(201);
                // Instances count in the memory budget at their cap: a small one leaves room.
                assertThat(kiln.patch("s", "f" + i, "{\"memoryMiB\": 1}").statusCode())
                        .isEqualTo(200);
            }
        }
    }

    @Test
    void afterARestartTheFirstInvocationsFindTheirCode() throws Exception {
        deploy(3);
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(kiln.host().awaitCodeRestored(WAIT)).isTrue();
            assertThat(kiln.host().pool().compiledCount()).isEqualTo(3);
            assertThat(kiln.host().pool().liveInstances()).as("code, not instances").isZero();
            for (int i = 0; i < 3; i++) {
                var r = kiln.invoke("s", "f" + i, "hi " + i);
                assertThat(text(r)).isEqualTo("hi " + i);
                assertThat(startKind(r)).isEqualTo("warm");
            }
            assertThat(text(kiln.get("/metrics")))
                    .contains("kiln_compilations_total{source=\"disk\"} 3");
        }
    }

    @Test
    void withCompileAtFirstUseNothingIsRestored() throws Exception {
        deploy(1);
        try (TestHost kiln = TestHost.start(data, b -> b.compileAt(CompileAt.FIRST_USE))) {
            assertThat(kiln.host().awaitCodeRestored(WAIT)).isTrue();
            assertThat(kiln.host().pool().compiledCount()).isZero();
            assertThat(startKind(kiln.invoke("s", "f0", "x"))).isEqualTo("cold");
        }
    }

    @Test
    void theRestoreStopsAtHalfTheMemoryBudgetAndTheHostStillServes() throws Exception {
        deploy(30);
        // Each echo's code is counted at ~64 KiB: half of 3 MiB holds about 24 of them.
        try (TestHost kiln = TestHost.start(data, b -> b.memoryBudgetBytes(3 * 1024 * KIB))) {
            assertThat(kiln.host().awaitCodeRestored(WAIT)).isTrue();
            int restored = kiln.host().pool().compiledCount();
            assertThat(restored).isBetween(1, 29);
            MemoryBudget budget = kiln.host().pool().memoryBudget();
            assertThat(budget.used(MemoryBudget.Kind.COMPILED_CODE))
                    .isLessThanOrEqualTo(budget.limitBytes() / 2 + 80 * KIB);
            var r = kiln.invoke("s", "f29", "still");
            assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
            assertThat(text(r)).isEqualTo("still");
        }
    }
}
