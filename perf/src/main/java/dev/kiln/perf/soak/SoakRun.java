package dev.kiln.perf.soak;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.kiln.loadgen.Durations;
import dev.kiln.loadgen.IntervalSample;
import dev.kiln.loadgen.LatencyReport;
import dev.kiln.loadgen.LoadGenerator;
import dev.kiln.loadgen.LoadResult;
import dev.kiln.loadgen.LoadRun;
import dev.kiln.loadgen.LoadSpec;
import dev.kiln.perf.TempDirs;
import dev.kiln.perf.peers.ServerProcess;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code perf/soak}: a long mixed load on one Kiln host, judged interval by interval. Starts {@code
 * kiln serve} in its own JVM, deploys an echo, an HTTP handler, an asynchronous target and hostile
 * guests, measures the echo's maximum throughput (closed loop), then runs an open-loop mix at a
 * fraction of it while uploading a new version every few seconds. Every interval it records
 * latencies per kind, every answer and outcome that was not the expected one, and the host's heap
 * after a forced GC, threads, data directory and CPU. Exits 1 when the verdict fails.
 */
@Command(
        name = "perf/soak",
        mixinStandardHelpOptions = true,
        description =
                "A long mixed load on one Kiln host: errors, p99, heap and threads over time.")
public final class SoakRun implements Callable<Integer> {
    @Option(names = "--smoke", description = "A 20 s soak with a 2 s maximum: checks the harness.")
    boolean smoke;

    @Option(names = "--duration", description = "The mixed load (default 600s; smoke 20s).")
    String duration;

    @Option(names = "--interval", description = "Sampling interval (default 10s; smoke 5s).")
    String interval;

    @Option(names = "--max-duration", description = "The closed-loop maximum run (default 10s).")
    String maxDuration;

    @Option(names = "--fraction", description = "Mixed load rate, fraction of max (default 0.7).")
    Double fraction;

    @Option(
            names = "--mix",
            split = ",",
            description = "Shares of the rate: echo=0.7,http=0.2,async=0.1,hostile=0 (any subset).")
    Map<String, Double> mix;

    @Option(
            names = "--hostile-rate",
            description =
                    "Requests/s to each hostile guest: fuel, memory, trap, stack (default 5).")
    Double hostileRate;

    @Option(names = "--timeout-rate", description = "Requests/s to the timeout guest (default 2).")
    Double timeoutRate;

    @Option(names = "--upload-every", description = "Period of uploads (default 5s; smoke 2s).")
    String uploadEvery;

    @Option(names = "--p99-ratio", description = "Allowed p99 growth, last vs first third (1.5).")
    Double p99Ratio;

    @Option(names = "--heap-growth", description = "Allowed heap-after-GC growth (0.2 = 20 %).")
    Double heapGrowth;

    @Option(names = "--thread-slack", description = "Allowed extra threads at the end (2).")
    Integer threadSlack;

    @Option(names = "--out", description = "Results directory (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("perf", "results");

    @Option(names = "--kiln-jar", description = "Kiln's jar; default: run Kiln from the classpath.")
    Path kilnJar;

    @Option(names = "--server-jvm-opts", description = "Extra JVM options for the Kiln host.")
    String serverJvmOpts;

    @Option(
            names = "--classpath",
            description = "Classpath for the host (default: this JVM's).",
            hidden = true)
    String classpath;

    private Path reportFile;

    public static void main(String[] args) {
        System.exit(new CommandLine(new SoakRun()).execute(args));
    }

    /** The JSON report of the last run, for tests. */
    Path reportFile() {
        return reportFile;
    }

    /** Everything the JSON report holds. */
    record Result(
            String started,
            Map<String, String> machine,
            SoakSettings settings,
            double maxThroughput,
            double targetRate,
            List<LoadKind> kinds,
            Interval baseline,
            List<Interval> intervals,
            long unexpectedAfterLoad,
            List<String> afterLoadProblems,
            List<SoakVerdict.Check> checks,
            boolean passed) {}

    @Override
    public Integer call() throws Exception {
        PrintStream log = System.out;
        SoakSettings s = settings();
        Instant started = Instant.now();
        String stamp =
                DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss'Z'")
                        .withZone(ZoneOffset.UTC)
                        .format(started);
        Path workDir = Files.createTempDirectory("kiln-soak");
        StringBuilder md = new StringBuilder();
        Path jar = kilnJar == null ? null : kilnJar.toAbsolutePath();
        try (SoakHost host =
                        SoakHost.start(
                                ServerProcess.javaCommand(serverJvmOpts),
                                jar,
                                classpath(),
                                workDir);
                JvmProbe jvm = new JvmProbe(host.server().pid());
                Uploader uploader = new Uploader(host.api())) {
            uploader.first();

            log.printf(
                    "perf/soak: measuring the echo's maximum (closed loop, %d connections, %s)%n",
                    s.maxConnections(), s.maxDuration());
            LoadResult max = LoadGenerator.run(maxSpec(host.api(), s));
            log.print(LatencyReport.summary(max));
            if (max.errorResponses() > 0 || max.ioErrors() > 0 || max.responses() == 0) {
                throw new IOException("the maximum run failed: " + LatencyReport.summary(max));
            }
            double target = s.fraction() * max.throughput();
            List<LoadKind> kinds = LoadKind.mix(s, target, host.api().token());
            host.probe(kinds);

            IntervalCollector collector = new IntervalCollector(host, jvm);
            Interval baseline = collector.baseline(kinds);
            md.append(
                    String.format(
                            Locale.ROOT,
                            "# Soak of %s%n%nMaximum (echo, closed loop): %.0f req/s. Mixed load:"
                                + " %.0f req/s (%.0f %%) for %s, sampled every %s; a new version"
                                + " uploaded every %s.%n%n",
                            stamp,
                            max.throughput(),
                            target,
                            100 * s.fraction(),
                            s.duration(),
                            s.interval(),
                            s.uploadEvery()));
            md.append(SoakReport.header()).append(SoakReport.row(baseline, 0));
            log.print("\n" + md);

            List<Interval> intervals = new ArrayList<>();
            List<String> afterProblems = new ArrayList<>();
            long afterUnexpected = 0;
            List<LoadSpec> specs =
                    kinds.stream().map(k -> k.spec(host.api().base(), s.duration())).toList();
            List<LoadResult> results;
            try (LoadRun run = LoadGenerator.start(specs)) {
                uploader.startEvery(s.uploadEvery());
                int k = 0;
                double previousEnd = 0;
                boolean last = false;
                while (!last) {
                    Duration elapsed = run.elapsed();
                    // Boundaries at whole intervals; one missed while the previous sample was
                    // taken (a slow machine) makes that interval longer, never two rows of one.
                    long nextBoundary = elapsed.toMillis() / s.interval().toMillis() + 1;
                    Duration boundary = s.interval().multipliedBy(nextBoundary);
                    last = boundary.plus(s.interval().dividedBy(2)).compareTo(s.duration()) > 0;
                    if (last) {
                        // Uploads go on to the end of the load's window; then its drain.
                        Duration window = s.duration().minus(run.elapsed());
                        run.awaitEnd(window.isNegative() ? Duration.ZERO : window);
                        uploader.stop();
                        if (!run.awaitEnd(Duration.ofSeconds(30))) {
                            throw new IOException("the load did not end");
                        }
                    } else if (run.awaitEnd(boundary.minus(elapsed))) {
                        throw new IOException("the load ended early");
                    }
                    if (!host.server().isAlive()) {
                        throw new IOException("the host died" + host.server().tail());
                    }
                    double end = run.elapsed().toMillis() / 1e3;
                    List<IntervalSample> samples = run.sample();
                    Interval i = collector.collect(++k, end, kinds, samples, uploader.take());
                    intervals.add(i);
                    String row = SoakReport.row(i, end - previousEnd);
                    previousEnd = end;
                    md.append(row);
                    log.print(row);
                }
                results = run.results();
            }
            for (int k = 0; k < kinds.size(); k++) {
                long unfinished = results.get(k).unfinished();
                if (unfinished > 0) {
                    afterUnexpected += unfinished;
                    afterProblems.add(
                            kinds.get(k).name()
                                    + ": "
                                    + unfinished
                                    + " requests unanswered when the load ended");
                }
            }
            // Every acknowledged asynchronous event must have run, once, successfully.
            long deadline = System.nanoTime() + s.drainTimeout().toNanos();
            while (!collector.asyncQueueEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            long accepted = 1; // the probe's
            for (int k = 0; k < kinds.size(); k++) {
                if (kinds.get(k).name().equals("async")) {
                    accepted += results.get(k).statuses().getOrDefault(202, 0L);
                }
            }
            double succeeded = collector.asyncSucceeded();
            if (!collector.asyncQueueEmpty()) {
                afterUnexpected++;
                afterProblems.add("the async queue did not drain within " + s.drainTimeout());
            }
            if (Math.round(succeeded) != accepted) {
                afterUnexpected += Math.abs(accepted - Math.round(succeeded));
                afterProblems.add(
                        String.format(
                                Locale.ROOT,
                                "async: %d events acknowledged, %.0f succeeded",
                                accepted,
                                succeeded));
            }
            List<SoakVerdict.Check> checks =
                    SoakVerdict.judge(
                            s,
                            intervals,
                            afterUnexpected,
                            afterProblems,
                            SoakReport.LATENCY_KINDS.stream()
                                    .filter(n -> kinds.stream().anyMatch(k -> k.name().equals(n)))
                                    .toList());
            boolean passed = checks.stream().allMatch(SoakVerdict.Check::passed);
            String tail =
                    String.format(
                            Locale.ROOT,
                            "%nAfter the load: %d acknowledged asynchronous events, %.0f"
                                    + " succeeded.%n%n%s%n%s%n**%s**%n",
                            accepted,
                            succeeded,
                            SoakReport.kinds(kinds, intervals, results),
                            SoakReport.verdict(checks),
                            passed ? "PASSED" : "FAILED");
            md.append(tail);
            log.print(tail);

            Result result =
                    new Result(
                            started.toString(),
                            machine(),
                            s,
                            max.throughput(),
                            target,
                            kinds,
                            baseline,
                            intervals,
                            afterUnexpected,
                            afterProblems,
                            checks,
                            passed);
            Path runDir = Files.createDirectories(out.resolve("soak-" + stamp));
            Files.writeString(out.resolve("soak-" + stamp + ".md"), md, StandardCharsets.UTF_8);
            reportFile = out.resolve("soak-" + stamp + ".json");
            json().writeValue(reportFile.toFile(), result);
            Files.copy(workDir.resolve("kiln.log"), runDir.resolve("kiln.log"));
            log.println("perf/soak: report in " + out.resolve("soak-" + stamp + ".md"));
            return passed ? 0 : 1;
        } finally {
            TempDirs.deleteTree(workDir);
        }
    }

    private static LoadSpec maxSpec(KilnApi api, SoakSettings s) {
        return LoadSpec.builder(URI.create(api.base() + api.functionPath("echo", "/invoke")))
                .method("POST")
                .body(LoadKind.PAYLOAD)
                .header("Authorization: Bearer " + api.token())
                .connections(s.maxConnections())
                .warmup(s.maxWarmup())
                .duration(s.maxDuration())
                .build();
    }

    SoakSettings settings() {
        SoakSettings b = smoke ? SoakSettings.smoke() : SoakSettings.defaults();
        Map<String, Double> shares = mix == null ? Map.of() : mix;
        for (String key : shares.keySet()) {
            if (!List.of("echo", "http", "async", "hostile").contains(key)) {
                throw new CommandLine.ParameterException(
                        new CommandLine(this), "unknown --mix share: " + key);
            }
        }
        return new SoakSettings(
                b.maxWarmup(),
                maxDuration != null ? Durations.parse(maxDuration) : b.maxDuration(),
                b.maxConnections(),
                fraction != null ? fraction : b.fraction(),
                duration != null ? Durations.parse(duration) : b.duration(),
                interval != null ? Durations.parse(interval) : b.interval(),
                shares.getOrDefault("echo", b.echoShare()),
                shares.getOrDefault("http", b.httpShare()),
                shares.getOrDefault("async", b.asyncShare()),
                shares.getOrDefault("hostile", b.hostileShare()),
                hostileRate != null ? hostileRate : b.hostileRate(),
                timeoutRate != null ? timeoutRate : b.timeoutRate(),
                uploadEvery != null ? Durations.parse(uploadEvery) : b.uploadEvery(),
                p99Ratio != null ? p99Ratio : b.p99Ratio(),
                b.p99FloorMs(),
                heapGrowth != null ? heapGrowth : b.heapGrowth(),
                b.heapSlackMiB(),
                threadSlack != null ? threadSlack : b.threadSlack(),
                b.drainTimeout());
    }

    /** The host runs in its own directory: a relative classpath would not resolve there. */
    private String classpath() {
        String cp = classpath != null ? classpath : System.getProperty("java.class.path");
        return String.join(
                File.pathSeparator,
                Arrays.stream(cp.split(File.pathSeparator))
                        .filter(e -> !e.isEmpty())
                        .map(e -> Path.of(e).toAbsolutePath().toString())
                        .toList());
    }

    private static Map<String, String> machine() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("jdk", Runtime.version() + " (" + System.getProperty("java.vendor") + ")");
        return m;
    }

    private static ObjectMapper json() {
        SimpleModule durations = new SimpleModule();
        durations.addSerializer(Duration.class, ToStringSerializer.instance);
        return new ObjectMapper()
                .registerModule(durations)
                .enable(SerializationFeature.INDENT_OUTPUT);
    }
}
