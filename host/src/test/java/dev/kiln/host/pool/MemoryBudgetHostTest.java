package dev.kiln.host.pool;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.config.CompileAt;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host-wide memory budget through the HTTP surface (issue 13 item 6): uploads and instances
 * that would exceed it are refused with their codes, idle instances make room first, the host keeps
 * serving, and /metrics shows the figures.
 */
class MemoryBudgetHostTest {
    static final long MIB = 1024 * 1024;

    /** kiln_init fills 48 MiB with non-zero bytes: a 48 MiB snapshot. */
    static final String FILLS_AT_INIT =
            """
            (module
              (memory (export "memory") 800)
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "kiln_init")
                (memory.fill (i32.const 65536) (i32.const 7) (i32.const 50331648)))
              (func (export "kiln_handle") (param i32 i32) (result i64)
                (i32.store8 (i32.const 0) (i32.const 111))
                (i32.store8 (i32.const 1) (i32.const 107))
                (i64.const 2)))
            """;

    /** Each invocation fills 40 MiB: with isolation reuse, its idle instance keeps them. */
    static final String FILLS_PER_CALL =
            """
            (module
              (memory (export "memory") 700)
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "kiln_handle") (param i32 i32) (result i64)
                (memory.fill (i32.const 65536) (i32.const 9) (i32.const 41943040))
                (i32.store8 (i32.const 0) (i32.const 111))
                (i32.store8 (i32.const 1) (i32.const 107))
                (i64.const 2)))
            """;

    @TempDir Path data;

    private static long series(TestHost kiln, String name) {
        for (String line : text(kiln.get("/metrics")).lines().toList()) {
            if (line.startsWith(name + " ")) {
                return (long) Double.parseDouble(line.substring(name.length() + 1));
            }
        }
        throw new AssertionError("no series " + name + " on /metrics");
    }

    @Test
    void secondUploadWhoseInitFillsMemoryIsRefusedAndTheHostStillServes() {
        byte[] wasm = Wat.compile(FILLS_AT_INIT);
        TestHost kiln = TestHost.start(data, b -> b.memoryBudgetBytes(80 * MIB));
        try (kiln) {
            assertThat(kiln.deploy("a", "big", wasm).statusCode()).isEqualTo(201);
            // The same bytes under another service: its own kiln_init, its own 48 MiB snapshot.
            HttpResponse<byte[]> refused = kiln.deploy("b", "big", wasm);
            assertThat(refused.statusCode()).as(text(refused)).isEqualTo(507);
            assertThat(errorCode(refused)).isEqualTo("insufficient_capacity");
            assertThat(text(refused)).contains("memory budget").doesNotContain("Exception");

            // Nothing of the refused upload is counted or stored; the first still serves, from
            // the instance its upload checked (evicting it would not have made room: kept).
            assertThat(kiln.get("/api/v1/services/b/functions/big").statusCode()).isEqualTo(404);
            HttpResponse<byte[]> ok = kiln.invoke("a", "big", "x");
            assertThat(text(ok)).isEqualTo("ok");
            assertThat(ok.headers().firstValue("X-Kiln-Start")).hasValue("pool");

            long snapshots = series(kiln, "kiln_memory_budget_used_bytes{kind=\"snapshots\"}");
            assertThat(snapshots).isBetween(48 * MIB, 49 * MIB);
            assertThat(series(kiln, "kiln_memory_budget_bytes")).isEqualTo(80 * MIB);
            assertThat(series(kiln, "kiln_memory_budget_used_bytes{kind=\"instances\"}"))
                    .isPositive()
                    .isLessThan(4 * MIB);
            assertThat(series(kiln, "kiln_memory_budget_used_bytes{kind=\"compiled_code\"}"))
                    .isPositive();
            // Refused before its kiln_init ran: no room for its memoryMiB cap while it would run.
            assertThat(series(kiln, "kiln_memory_budget_refusals_total{kind=\"instances\"}"))
                    .isEqualTo(1);
            assertThat(kiln.get("/api/v1/limits").body())
                    .asString()
                    .contains("\"memoryBudgetBytes\":" + 80 * MIB);

            // Deleting the first gives its snapshot back: now the second fits.
            kiln.send(kiln.admin("/api/v1/services/a/functions/big").DELETE().build());
            assertThat(series(kiln, "kiln_memory_budget_used_bytes{kind=\"snapshots\"}")).isZero();
            assertThat(kiln.deploy("b", "big", wasm).statusCode()).isEqualTo(201);
            assertThat(text(kiln.invoke("b", "big", "x"))).isEqualTo("ok");
        }
    }

    @Test
    void idleInstancesOfOtherFunctionsAreEvictedBeforeAnUploadIsRefused() {
        TestHost kiln = TestHost.start(data, b -> b.memoryBudgetBytes(72 * MIB));
        try (kiln) {
            assertThat(kiln.deploy("a", "hog", Wat.compile(FILLS_PER_CALL)).statusCode())
                    .isEqualTo(201);
            assertThat(kiln.patch("a", "hog", "{\"isolation\":\"reuse\"}").statusCode())
                    .isEqualTo(200);
            assertThat(text(kiln.invoke("a", "hog", "x"))).isEqualTo("ok");
            // Its idle instance holds the 40 MiB it wrote.
            assertThat(kiln.host().pool().stats(new FunctionName("a", "hog")).idle()).isEqualTo(1);
            assertThat(series(kiln, "kiln_memory_budget_used_bytes{kind=\"instances\"}"))
                    .isGreaterThan(40 * MIB);

            // 48 MiB of snapshot fits only once the idle 40 MiB are gone.
            HttpResponse<byte[]> up = kiln.deploy("b", "big", Wat.compile(FILLS_AT_INIT));
            assertThat(up.statusCode()).as(text(up)).isEqualTo(201);
            assertThat(kiln.host().pool().stats(new FunctionName("a", "hog")).idle()).isZero();
            assertThat(series(kiln, "kiln_instances_discarded_total{reason=\"memory_budget\"}"))
                    .isEqualTo(1);

            // Both still serve. The hog's new instance writes 40 MiB again while it runs, which
            // the budget cannot keep idle: it is closed on return instead of kept.
            assertThat(text(kiln.invoke("b", "big", "x"))).isEqualTo("ok");
            assertThat(text(kiln.invoke("a", "hog", "x"))).isEqualTo("ok");
            assertThat(kiln.host().pool().stats(new FunctionName("a", "hog")).idle()).isZero();
            assertThat(series(kiln, "kiln_instances_discarded_total{reason=\"memory_budget\"}"))
                    .isEqualTo(2);
            assertThat(kiln.host().pool().memoryBudget().used()).isLessThanOrEqualTo(72 * MIB);
        }
    }

    @Test
    void anInvocationWhoseNewInstanceDoesNotFitIsOverloaded() {
        byte[] wasm = Wat.compile(FILLS_AT_INIT);
        // Compiled and initialised at first use: the budget is met by an invocation, not an upload.
        TestHost kiln =
                TestHost.start(
                        data, b -> b.memoryBudgetBytes(80 * MIB).compileAt(CompileAt.FIRST_USE));
        try (kiln) {
            assertThat(kiln.deploy("a", "big", wasm).statusCode()).isEqualTo(201);
            assertThat(kiln.deploy("b", "big", wasm).statusCode()).isEqualTo(201);
            assertThat(text(kiln.invoke("a", "big", "x"))).isEqualTo("ok");

            HttpResponse<byte[]> refused = kiln.invoke("b", "big", "x");
            assertThat(refused.statusCode()).as(text(refused)).isEqualTo(429);
            assertThat(errorCode(refused)).isEqualTo("overloaded");
            assertThat(text(kiln.get("/metrics")))
                    .contains(
                            "kiln_overloaded_total{service=\"b\",function=\"big\","
                                    + "reason=\"memory_budget\"} 1");

            // The host still serves the function that fits, and nothing leaked into the count.
            assertThat(text(kiln.invoke("a", "big", "x"))).isEqualTo("ok");
            assertThat(series(kiln, "kiln_memory_budget_used_bytes{kind=\"snapshots\"}"))
                    .isBetween(48 * MIB, 49 * MIB);
        }
    }
}
