package dev.kiln.host.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.pool.PoolLimits;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Each default is written once, in {@link KilnConfig.Builder}: {@code kiln serve} with no options
 * runs exactly {@link KilnConfig#defaults()}, and {@code --help} prints those values (issue 14).
 */
class ServeDefaultsTest {

    private static ServeCommand parse(String... args) {
        var cli = new CommandLine(new KilnCli());
        String[] all = new String[args.length + 1];
        all[0] = "serve";
        System.arraycopy(args, 0, all, 1, args.length);
        var result = cli.parseArgs(all);
        return (ServeCommand) result.subcommand().commandSpec().userObject();
    }

    @Test
    void serveWithNoOptionsRunsTheBuilderDefaults() {
        KilnConfig fromFlags = parse().config();

        // The admin token is the one thing serve reads from the environment.
        var expected = KilnConfig.builder().adminToken(System.getenv("KILN_ADMIN_TOKEN")).build();
        assertThat(fromFlags).isEqualTo(expected);
    }

    @Test
    void dataDirAndPortAreTheOnlyDifferenceWhenGiven() {
        KilnConfig fromFlags = parse("--data", "/tmp/kiln-elsewhere", "--port", "0").config();

        var expected =
                KilnConfig.builder()
                        .adminToken(System.getenv("KILN_ADMIN_TOKEN"))
                        .dataDir(java.nio.file.Path.of("/tmp/kiln-elsewhere"))
                        .port(0)
                        .build();
        assertThat(fromFlags).isEqualTo(expected);
    }

    @Test
    void anOptionGivenChangesOnlyItsSetting() {
        KilnConfig fromFlags = parse("--max-upload-bytes", "1000", "--queue-wait-ms", "7").config();

        assertThat(fromFlags.maxUploadBytes()).isEqualTo(1000);
        assertThat(fromFlags.queueWait().toMillis()).isEqualTo(7);
        assertThat(fromFlags.maxPayloadBytes()).isEqualTo(KilnConfig.defaults().maxPayloadBytes());
    }

    @Test
    void helpShowsTheRealDefaults() {
        var d = KilnConfig.defaults();
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("--host", d.host());
        expected.put("--port", d.port());
        expected.put("--data", d.dataDir());
        expected.put("--max-upload-bytes", d.maxUploadBytes());
        expected.put("--max-payload-bytes", d.maxPayloadBytes());
        expected.put("--max-response-bytes", d.maxResponseBytes());
        expected.put("--max-timeout-ms", d.maxTimeout().toMillis());
        expected.put("--max-memory-mib", d.maxMemoryMiB());
        expected.put("--workers", d.workerThreads());
        expected.put("--queue", d.workerQueue());
        expected.put("--worker-mode", d.workerMode());
        expected.put("--max-instances", d.maxInstances());
        expected.put("--instance-idle-ttl-ms", d.instanceIdleTtl().toMillis());
        expected.put("--queue-wait-ms", d.queueWait().toMillis());
        expected.put("--function-queue", d.functionQueue());
        expected.put("--compile-at", d.compileAt());
        expected.put("--reset-strategy", d.resetStrategy());
        expected.put("--max-concurrent-uploads", d.uploadLimits().maxConcurrentUploads());
        expected.put("--upload-queue", d.uploadLimits().uploadQueue());
        expected.put("--upload-timeout-ms", d.uploadLimits().uploadTimeout().toMillis());
        expected.put("--records-per-function", d.recordsPerFunction());
        expected.put("--max-event-bytes", d.eventLimits().maxEventBytes());
        expected.put("--max-queued-events", d.eventLimits().maxQueuedEvents());
        expected.put("--async-workers", d.eventLimits().asyncWorkers());
        expected.put("--event-attempts", d.eventLimits().defaultMaxAttempts());
        expected.put("--event-max-age-s", d.eventLimits().maxEventAgeCap().toSeconds());
        expected.put("--retry-base-delay-ms", d.eventLimits().retryBaseDelay().toMillis());
        expected.put("--retry-max-delay-ms", d.eventLimits().retryMaxDelay().toMillis());
        expected.put("--max-host-bytes-per-call", d.effectLimits().maxHostBytesPerCall());
        expected.put(
                "--max-host-bytes-per-invocation", d.effectLimits().maxHostBytesPerInvocation());
        expected.put("--min-free-disk-mib", d.minFreeDiskMiB());
        expected.put("--auth-failures-per-ip", d.accessLimits().authFailuresPerIp());
        expected.put("--auth-failure-window-ms", d.accessLimits().authFailureWindow().toMillis());
        expected.put("--max-keys", d.accessLimits().maxKeys());
        expected.put("--audit-max-entries", d.accessLimits().auditMaxEntries());
        expected.put("--audit-max-age-days", d.accessLimits().auditMaxAge().toDays());
        expected.put("--max-buffered-request-bytes", d.httpLimits().maxBufferedRequestBytes());
        expected.put("--max-connections", d.httpLimits().maxConnections());
        expected.put("--max-connections-per-ip", d.httpLimits().maxConnectionsPerIp());
        expected.put("--request-parse-timeout-ms", d.httpLimits().requestParseTimeout().toMillis());
        expected.put("--no-request-timeout-ms", d.httpLimits().noRequestTimeout().toMillis());
        expected.put("--body-read-timeout-ms", d.httpLimits().bodyReadTimeout().toMillis());
        expected.put("--idle-timeout-ms", d.httpLimits().idleTimeout().toMillis());
        expected.put("--trigger-rate-per-ip", d.triggerRatePerIp());
        expected.put("--zone", dev.kiln.host.config.ClusterSettings.DEFAULT_ZONE);

        StringWriter out = new StringWriter();
        int exit =
                new CommandLine(new KilnCli())
                        .setOut(new PrintWriter(out))
                        .setErr(new PrintWriter(new StringWriter()))
                        .execute("serve", "--help");
        assertThat(exit).isZero();
        String help = out.toString().replaceAll("\\s+", " ");

        Map<String, String> shown = new LinkedHashMap<>();
        for (String flag : expected.keySet()) {
            Matcher m =
                    Pattern.compile(Pattern.quote(flag) + "=<\\w+> .*?\\(default: ([^,)]+)")
                            .matcher(help);
            assertThat(m.find()).as("help of %s", flag).isTrue();
            shown.put(flag, m.group(1));
        }
        Map<String, String> want = new LinkedHashMap<>();
        expected.forEach((flag, value) -> want.put(flag, String.valueOf(value)));
        assertThat(shown).isEqualTo(want);
        assertThat(help)
                .contains(
                        "(default: "
                                + PoolLimits.DEFAULT_MEMORY_BUDGET_PERCENT
                                + "% of the JVM's maximum heap)");
    }
}
