package dev.kiln.host.invoke;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.sandbox.ResetStrategy;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.WasiCgiUpload;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host whose instances keep memory flat ({@code --reset-strategy FLAT}, docs/adr/0064) serves
 * over a real socket as the default one does: fresh state per invocation, growth taken back,
 * out-of-bounds stores refused as traps, wasi-cgi too.
 */
class FlatMemoryHostTest {
    @TempDir Path data;

    @Test
    void flatInstancesStartFreshTrapOutOfBoundsAndKeepServing() {
        try (TestHost kiln = TestHost.start(data, b -> b.resetStrategy(ResetStrategy.FLAT))) {
            assertThat(kiln.deploy("m", "counter", Wat.fixture("counter")).statusCode())
                    .isEqualTo(201);
            assertThat(kiln.deploy("m", "grows", Wat.fixture("grows")).statusCode()).isEqualTo(201);
            byte[] outOfBounds =
                    Wat.compile(
                            """
                            (module
                              (memory (export "memory") 1 2)
                              (func (export "kiln_alloc") (param i32) (result i32)
                                (i32.const 1024))
                              (func (export "kiln_handle") (param i32 i32) (result i64)
                                (i32.store (i32.const 65534) (i32.const 7))
                                (i64.const 0)))
                            """);
            assertThat(kiln.deploy("m", "past", outOfBounds).statusCode()).isEqualTo(201);
            assertThat(WasiCgiUpload.deploy(kiln, "cgi", "hello", Wat.fixture("wasi/hello")))
                    .satisfies(r -> assertThat(r.statusCode()).as(text(r)).isEqualTo(201));

            for (int i = 0; i < 3; i++) {
                assertThat(text(kiln.invoke("m", "counter", "x"))).isEqualTo("1,1");
                assertThat(text(kiln.invoke("m", "grows", "x"))).isEqualTo("2");
                var refused = kiln.invoke("m", "past", "x");
                assertThat(refused.statusCode()).isEqualTo(500);
                assertThat(errorCode(refused)).isEqualTo("guest_trap");
                var hello = kiln.send(kiln.request("/fn/cgi/hello/").GET().build());
                assertThat(text(hello)).isEqualTo("hello\n");
            }
        }
    }
}
