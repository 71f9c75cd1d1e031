package dev.kiln.perf;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fails when the bytes the host allocates per echo request rise above a recorded bound (issue 21:
 * allocation per request is measured and cut, and must not creep back). Allocation, unlike time, is
 * nearly the same on a busy machine as on an idle one, so this can be a check in CI. The bounds are
 * ~1.4× what {@link AllocationPerRequest} measured as this test runs it (5 000 requests after as
 * many to warm up, a 16-byte payload) on 2026-12-06 (perf/README.md, "Fewer objects per request"):
 * invoke 6.7–6.8 KB, HTTP trigger 6.8–7.0 KB; the wasi-cgi echo's ~1.4× of 9.9–10.4 KB measured on
 * 2026-12-05 once commands ran on pooled instances that keep their WASI (docs/adr/0066; 9.4–9.9 KB
 * on 2026-12-06). When a change cuts allocation for good, lower the bound in the same change.
 */
class AllocationBoundTest {
    static final long INVOKE_BOUND = 9_728;
    static final long HTTP_TRIGGER_BOUND = 9_728;
    static final long WASI_CGI_BOUND = 14_336;
    private static final int REQUESTS = 5_000;

    private static AllocationPerRequest probe;

    @BeforeAll
    static void start() throws Exception {
        probe = AllocationPerRequest.start();
    }

    @AfterAll
    static void stop() throws Exception {
        probe.close();
    }

    @Test
    void invokeAllocatesNoMoreThanItsBound() throws Exception {
        long bytes = probe.invoke(REQUESTS, 16);
        assertThat(bytes)
                .as("bytes allocated per /invoke echo request")
                .isPositive()
                .isLessThanOrEqualTo(INVOKE_BOUND);
    }

    @Test
    void httpTriggerAllocatesNoMoreThanItsBound() throws Exception {
        long bytes = probe.httpTrigger(REQUESTS, 16);
        assertThat(bytes)
                .as("bytes allocated per HTTP trigger echo request")
                .isPositive()
                .isLessThanOrEqualTo(HTTP_TRIGGER_BOUND);
    }

    @Test
    void wasiCgiAllocatesNoMoreThanItsBound() throws Exception {
        long bytes = probe.wasiCgiTrigger(REQUESTS, 16);
        assertThat(bytes)
                .as("bytes allocated per wasi-cgi echo request through the HTTP trigger")
                .isPositive()
                .isLessThanOrEqualTo(WASI_CGI_BOUND);
    }
}
