package dev.kiln.host.invoke;

import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.core.FunctionName;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A function's concurrency gate lives as long as the function. */
class ConcurrencyGatesTest {
    @TempDir Path data;

    @Test
    void deletingAFunctionRemovesItsGate() {
        try (TestHost kiln = TestHost.start(data)) {
            Invoker invoker = kiln.host().invoker();
            kiln.deploy("p", "limited", Wat.fixture("echo"));
            kiln.deploy("p", "free", Wat.fixture("echo"));
            kiln.patch("p", "limited", "{\"maxConcurrency\":2}");
            assertThat(kiln.invoke("p", "limited", "a").statusCode()).isEqualTo(200);
            assertThat(kiln.invoke("p", "free", "a").statusCode()).isEqualTo(200);
            assertThat(invoker.gatedFunctions()).containsExactly(new FunctionName("p", "limited"));

            var deleted =
                    kiln.send(kiln.admin("/api/v1/services/p/functions/limited").DELETE().build());
            assertThat(deleted.statusCode()).isEqualTo(204);
            assertThat(invoker.gatedFunctions()).isEmpty();

            // Created again under the name: a new gate, working as before.
            kiln.deploy("p", "limited", Wat.fixture("echo"));
            kiln.patch("p", "limited", "{\"maxInstances\":1}");
            var r = kiln.invoke("p", "limited", "b");
            assertThat(r.statusCode() + " " + text(r)).isEqualTo("200 b");
            assertThat(invoker.gatedFunctions()).containsExactly(new FunctionName("p", "limited"));
        }
    }
}
