package dev.kiln.perf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.abi.Header;
import dev.kiln.host.core.InvocationOutcome;
import org.junit.jupiter.api.Test;

/**
 * Each benchmark's set-up and body run once as plain Java, so a change that breaks a benchmark
 * fails the build instead of the next perf/jmh run. Nothing is timed.
 */
class BenchmarkSanityTest {
    @Test
    void abiCodecBenchmarkRoundTripsAndCallsTheHost() {
        var b = new AbiCodecBenchmark();
        b.setUp();
        assertThat(b.headerDecode()).containsExactlyElementsOf(AbiCodecBenchmark.HEADERS);
        assertThat(b.headerEncode()).isNotEmpty();
        assertThat(b.contextGet()).isEqualTo(26); // a request id is 26 characters
        assertThat(b.typicalHttpInvocation()).isPositive();
        assertThat(AbiCodecBenchmark.HEADERS)
                .contains(new Header("content-type", "application/json"));
    }

    @Test
    void invokeBenchmarkEchoesThroughTheInvoker() throws Exception {
        var b = new InvokeBenchmark();
        b.payloadBytes = 16;
        b.setUp();
        try {
            var viaInvoke = b.invokeTrigger();
            var viaHttp = b.httpTrigger();
            assertThat(viaInvoke.outcome()).isInstanceOf(InvocationOutcome.Ok.class);
            assertThat(((InvocationOutcome.Ok) viaHttp.outcome()).body()).hasSize(16);
        } finally {
            b.tearDown();
        }
    }
}
