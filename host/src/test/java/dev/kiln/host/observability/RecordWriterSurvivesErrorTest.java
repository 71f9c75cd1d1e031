package dev.kiln.host.observability;

import static dev.kiln.host.testing.TestHost.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The record writer survives an Error while writing a batch (docs/adr/0030). */
class RecordWriterSurvivesErrorTest {
    static final String FN = "/api/v1/services/rec/functions/echo";

    @TempDir Path data;
    TestHost kiln;

    @AfterEach
    void stop() {
        InvocationStore.FAULTS.disarm();
        if (kiln != null) {
            kiln.close();
        }
    }

    @Test
    void recordsAreStillWrittenAfterAnOutOfMemoryErrorInTheWriter() {
        kiln = TestHost.start(data);
        kiln.deploy("rec", "echo", Wat.fixture("echo"));
        int thrownBefore = InvocationStore.FAULTS.thrown();
        InvocationStore.FAULTS.armOnce(new OutOfMemoryError("injected by the test"));
        var lost = kiln.invoke("rec", "echo", "first");
        assertThat(lost.statusCode()).isEqualTo(200);
        // The flush returns: the failed batch's flush markers are still counted down.
        kiln.host().flushRecords();
        assertThat(InvocationStore.FAULTS.thrown()).isEqualTo(thrownBefore + 1);

        var kept = kiln.invoke("rec", "echo", "second");
        String id = kept.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
        kiln.host().flushRecords();
        await(
                "the record written after the fault",
                Duration.ofSeconds(10),
                () -> kiln.get(FN + "/invocations/" + id).statusCode() == 200);
        // The lost record is counted, and its invocation is still in usage.
        assertThat(TestHost.text(kiln.get("/metrics")))
                .contains("kiln_records_dropped_total{reason=\"write_failed\"} 1")
                .contains("kiln_usage_invocations_total{service=\"rec\",function=\"echo\"} 2");
        var usage = TestHost.json(kiln.get("/api/v1/usage?service=rec"));
        assertThat(usage.path("totals").path("invocations").asLong()).isEqualTo(2);
    }
}
