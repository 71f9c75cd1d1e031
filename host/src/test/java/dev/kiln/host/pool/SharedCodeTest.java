package dev.kiln.host.pool;

import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Modules that differ only in their data segments share one compilation (docs/adr/0052): what a
 * language runtime with each function's source embedded as data needs, so only the first function
 * of a runtime pays the compiler.
 */
class SharedCodeTest {
    @TempDir Path data;

    /** Code that is never called, so that code outweighs the fixed cost of a module. */
    private static final String BULK =
            "(func (result i32) (i32.add (i32.const 1) (i32.const 2)))\n".repeat(300);

    /** Answers with the {@code length} bytes of {@code text} placed at address 16 as data. */
    private static byte[] answering(String text, int length, String extraData) {
        return Wat.compile(
                """
                (module
                  (memory (export "memory") 1)
                  (data (i32.const 16) "%s")
                  %s
                  %s
                  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                  (func (export "kiln_handle") (param i32 i32) (result i64)
                    (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const %d))))
                """
                        .formatted(text, extraData, BULK, length));
    }

    private static double metric(TestHost kiln, String source) {
        return series(kiln, "kiln_compilations_total{source=\"" + source + "\"}");
    }

    private static double codeBudget(TestHost kiln) {
        return series(kiln, "kiln_memory_budget_used_bytes{kind=\"compiled_code\"}");
    }

    private static double series(TestHost kiln, String name) {
        String series = name + " ";
        for (String line : kiln.host().metrics().scrape().lines().toList()) {
            if (line.startsWith(series)) {
                return Double.parseDouble(line.substring(series.length()));
            }
        }
        return 0;
    }

    @Test
    void sameCodeOtherDataIsCompiledOnceAndEachFunctionKeepsItsOwnData() {
        try (TestHost kiln = TestHost.start(data)) {
            byte[] alpha = answering("alpha-01", 8, "");
            assertThat(kiln.deploy("s", "alpha", alpha).statusCode()).isEqualTo(201);
            double one = codeBudget(kiln);
            assertThat(kiln.deploy("s", "bravo", answering("bravo-02", 8, "")).statusCode())
                    .isEqualTo(201);
            // The second module is counted for its data and module object, not the code again.
            assertThat(codeBudget(kiln) - one).isLessThan(one / 2).isPositive();
            assertThat(metric(kiln, "compiled")).isEqualTo(1);
            assertThat(metric(kiln, "shared")).isEqualTo(1);
            assertThat(text(kiln.invoke("s", "alpha", ""))).isEqualTo("alpha-01");
            assertThat(text(kiln.invoke("s", "bravo", ""))).isEqualTo("bravo-02");

            // Other code (a different constant), or another number of data segments: compiled.
            kiln.deploy("s", "longer", answering("charlie-3", 9, ""));
            kiln.deploy("s", "two", answering("delta-04", 8, "(data (i32.const 64) \"x\")"));
            assertThat(metric(kiln, "compiled")).isEqualTo(3);
            assertThat(text(kiln.invoke("s", "longer", ""))).isEqualTo("charlie-3");
            assertThat(text(kiln.invoke("s", "two", ""))).isEqualTo("delta-04");

            // Deleting one user of the shared code keeps the disk entry the other still needs.
            var delete =
                    kiln.send(kiln.admin("/api/v1/services/s/functions/alpha").DELETE().build());
            assertThat(delete.statusCode()).as(text(delete)).isIn(200, 204);
            assertThat(text(kiln.invoke("s", "bravo", ""))).isEqualTo("bravo-02");
        }
        try (TestHost kiln = TestHost.start(data)) {
            assertThat(text(kiln.invoke("s", "bravo", ""))).isEqualTo("bravo-02");
            assertThat(metric(kiln, "compiled")).isZero();
            assertThat(metric(kiln, "disk")).isGreaterThanOrEqualTo(1);
            assertThat(text(kiln.invoke("s", "alpha", "")))
                    .contains("not_found"); // deleted stays deleted
        }
    }
}
