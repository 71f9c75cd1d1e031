package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Repeated hostile invocations leave the host serving, with every worker thread intact. */
class HostileLoadTest {
    static final String RECURSION_BOMB =
            """
            (module
              (memory (export "memory") 1)
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
              (func $r (param i32) (result i32) (call $r (i32.add (local.get 0) (i32.const 1))))
              (func (export "kiln_handle") (param i32 i32) (result i64)
                (i64.extend_i32_u (call $r (i32.const 0)))))
            """;

    @Test
    void aThousandStackExhaustionsInARowAndTheHostStillServes(@TempDir Path data) {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("h", "bomb", Wat.compile(RECURSION_BOMB));
            kiln.patch("h", "bomb", "{\"fuel\":1000000000000}");
            kiln.deploy("h", "echo", Wat.fixture("echo"));
            for (int i = 0; i < 1000; i++) {
                var r = kiln.invoke("h", "bomb", "x");
                assertThat(r.statusCode()).as("bomb %d", i).isEqualTo(500);
                assertThat(errorCode(r)).isEqualTo("stack_exhausted");
            }
            // Every worker (8 on this machine) must still run guests correctly.
            for (int i = 0; i < 100; i++) {
                assertThat(text(kiln.invoke("h", "echo", "ok " + i))).isEqualTo("ok " + i);
            }
        }
    }
}
