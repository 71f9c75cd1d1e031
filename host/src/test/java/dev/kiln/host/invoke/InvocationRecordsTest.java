package dev.kiln.host.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.observability.RecordRetention;
import dev.kiln.host.pool.StartKind;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.FunctionSettings;
import dev.kiln.host.registry.Target;
import dev.kiln.host.registry.VersionInfo;
import dev.kiln.host.sandbox.SandboxResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** What the invoker writes for each invocation when the record store cannot keep up. */
class InvocationRecordsTest {
    @TempDir Path data;

    /**
     * A full record queue drops records, counts them and reports them in one line a minute
     * (docs/adr/0062): a warning per record, at the rate that fills the queue, logged thousands of
     * lines a second from the request threads.
     */
    @Test
    void recordsDroppedForAFullQueueAreReportedOnceNotOneByOne() {
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        Logger invoker = (Logger) LoggerFactory.getLogger(Invoker.class);
        Logger store = (Logger) LoggerFactory.getLogger(InvocationStore.class);
        invoker.addAppender(lines);
        store.addAppender(lines);
        // Room for 4 records, written 2 at a time after up to 5 s: nearly all of these drop.
        var retention = new RecordRetention(1000, Duration.ofDays(1), 4, 2, Duration.ofSeconds(5));
        Metrics metrics = new Metrics();
        try (var records = InvocationStore.open(data, retention)) {
            records.registerMetrics(metrics);
            InvocationRecords writer = new InvocationRecords(records, metrics);
            Instant now = Instant.now();
            FunctionSettings settings = FunctionSettings.DEFAULTS;
            VersionInfo v1 = new VersionInfo(1, "ab".repeat(32), 100, now, settings);
            Target target =
                    new Target(new FunctionInfo("svc", "f", settings, v1, now, now), v1, settings);
            var ok =
                    new InvocationOutcome.Ok(200, List.of(), "hi".getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < 2_000; i++) {
                String id = "R" + i;
                writer.write(
                        new InvocationRequest(
                                id, "svc", "f", "invoke", new byte[3], null, 0, null, 0),
                        target,
                        now,
                        new InvocationResult(id, ok, 1, 10, 5, StartKind.POOL),
                        new SandboxResult(ok, List.of(), false, 5),
                        null);
            }
            assertThat(records.dropped()).isGreaterThan(1_000);
            assertThat(
                            lines.list.stream()
                                    .filter(e -> e.getLevel() == Level.WARN)
                                    .map(ILoggingEvent::getFormattedMessage)
                                    .filter(m -> m.contains("dropped")))
                    .singleElement()
                    .asString()
                    .contains("queue_full");
            records.flush();
            // Every invocation still counted, in the metric and in usage.
            assertThat(metrics.scrape())
                    .contains(
                            "kiln_invocations_total{service=\"svc\",function=\"f\",outcome=\"ok\"}"
                                    + " 2000",
                            "kiln_usage_invocations_total{service=\"svc\",function=\"f\"} 2000");
        } finally {
            invoker.detachAppender(lines);
            store.detachAppender(lines);
        }
    }
}
