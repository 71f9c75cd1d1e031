package dev.kiln.perf.peers;

import dev.kiln.loadgen.LatencyReport;
import dev.kiln.loadgen.LoadGenerator;
import dev.kiln.loadgen.LoadResult;
import dev.kiln.loadgen.LoadSpec;
import dev.kiln.perf.peers.PeerReport.Level;
import dev.kiln.perf.peers.PeerReport.Status;
import dev.kiln.perf.peers.PeerReport.TargetResult;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * Measures one target: checks it echoes, warms it up, finds its maximum throughput in closed loop,
 * then measures latency in open loop at fractions of that maximum.
 */
final class TargetBench {
    private final RunSettings settings;
    private final Path outDir;
    private final PrintStream log;
    private final byte[] payload;

    /** A target's result, and the latency distributions behind it for the plot. */
    record Measured(TargetResult result, Map<String, Histogram> curves) {}

    TargetBench(RunSettings settings, Path outDir, PrintStream log) {
        this.settings = settings;
        this.outDir = outDir;
        this.log = log;
        this.payload = settings.payload().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param serverCpuNanos the server's CPU time so far, -1 if unknown (see {@link
     *     ServerProcess#cpuNanos})
     */
    Measured measure(Target target, LongSupplier serverCpuNanos) throws InterruptedException {
        String probe = probe(target);
        if (probe != null) {
            log.printf("[%s] failed its probe: %s%n", target.id(), probe);
            return new Measured(
                    TargetResult.notMeasured(target.id(), Status.FAILED, probe), Map.of());
        }
        try {
            return run(target, serverCpuNanos);
        } catch (IOException e) {
            log.printf("[%s] failed: %s%n", target.id(), e.getMessage());
            return new Measured(
                    TargetResult.notMeasured(target.id(), Status.FAILED, e.getMessage()), Map.of());
        }
    }

    private Measured run(Target target, LongSupplier serverCpuNanos)
            throws IOException, InterruptedException {
        Map<String, Histogram> curves = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        log.printf("[%s] %s: warming up %s%n", target.id(), target.label(), settings.warmup());
        load(target, settings.connections().get(0), 0, Duration.ZERO, settings.warmup());

        LoadResult best = null;
        double bestCpu = 0;
        for (int connections : settings.connections()) {
            long cpuBefore = serverCpuNanos.getAsLong();
            LoadResult r = load(target, connections, 0, Duration.ZERO, settings.maxDuration());
            long cpuAfter = serverCpuNanos.getAsLong();
            // CPU time per request holds up on a busy machine far better than throughput does.
            double cpuPerRequest =
                    cpuBefore < 0 || r.latency().getTotalCount() == 0
                            ? 0
                            : (cpuAfter - cpuBefore) / 1e3 / r.latency().getTotalCount();
            log.printf(
                    Locale.ROOT,
                    "[%s] closed loop, %d connections: %.0f req/s, p99 %s, server CPU %.1f µs"
                            + " per request%n",
                    target.id(),
                    connections,
                    r.throughput(),
                    LatencyReport.duration(r.percentiles().p99()),
                    cpuPerRequest);
            warn(warnings, "closed loop with " + connections + " connections", r);
            if (best == null || r.throughput() > best.throughput()) {
                best = r;
                bestCpu = cpuPerRequest;
            }
        }
        String maxFile = target.id() + "-max.hgrm";
        LatencyReport.writeHgrm(best.latency(), outDir.resolve(maxFile));
        curves.put("max (closed loop)", best.latency());

        List<Level> levels = new ArrayList<>();
        for (double fraction : settings.fractions()) {
            double rate = Math.max(1, fraction * best.throughput());
            LoadResult r =
                    load(
                            target,
                            best.spec().connections(),
                            rate,
                            settings.levelWarmup(),
                            settings.levelDuration());
            String pct = String.format(Locale.ROOT, "%.0f", fraction * 100);
            String file = target.id() + "-" + pct + ".hgrm";
            LatencyReport.writeHgrm(r.latency(), outDir.resolve(file));
            curves.put(pct + " % of max", r.latency());
            long errors = r.errorResponses() + r.ioErrors() + r.unfinished();
            warn(warnings, pct + " % of max", r);
            double lag =
                    r.sendLag().getTotalCount() == 0
                            ? 0
                            : r.sendLag().getValueAtPercentile(99) / 1e3;
            levels.add(
                    new Level(fraction, rate, r.throughput(), r.percentiles(), lag, errors, file));
            log.printf(
                    Locale.ROOT,
                    "[%s] open loop at %s %% (%.0f req/s): p50 %s, p99 %s, p99.9 %s%n",
                    target.id(),
                    pct,
                    rate,
                    LatencyReport.duration(r.percentiles().p50()),
                    LatencyReport.duration(r.percentiles().p99()),
                    LatencyReport.duration(r.percentiles().p999()));
        }
        TargetResult result =
                new TargetResult(
                        target.id(),
                        target.label(),
                        Status.MEASURED,
                        warnings.isEmpty() ? null : String.join("; ", warnings),
                        best.throughput(),
                        best.spec().connections(),
                        bestCpu,
                        best.percentiles(),
                        levels);
        return new Measured(result, curves);
    }

    private static void warn(List<String> warnings, String what, LoadResult r) {
        if (r.errorResponses() + r.ioErrors() + r.unfinished() > 0) {
            warnings.add(
                    what
                            + ": "
                            + r.errorResponses()
                            + " error responses "
                            + r.statuses()
                            + ", "
                            + r.ioErrors()
                            + " connection errors, "
                            + r.unfinished()
                            + " unanswered");
        }
    }

    private LoadResult load(
            Target target, int connections, double rate, Duration warmup, Duration duration)
            throws IOException, InterruptedException {
        LoadSpec.Builder spec =
                LoadSpec.builder(target.url())
                        .method("POST")
                        .body(payload)
                        .connections(connections)
                        .threads(Math.min(settings.loadgenThreads(), connections))
                        .warmup(warmup)
                        .duration(duration)
                        .drain(Duration.ofSeconds(settings.smoke() ? 1 : 5));
        target.headers().forEach(spec::header);
        if (rate > 0) {
            spec.rate(rate);
        }
        return LoadGenerator.run(spec.build());
    }

    /** One request with the JDK client: null if the target echoes the payload, else why not. */
    private String probe(Target target) throws InterruptedException {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(target.url())
                        .timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(payload));
        for (String h : target.headers()) {
            int colon = h.indexOf(':');
            request.header(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
        }
        try {
            HttpResponse<byte[]> response =
                    HttpClient.newBuilder()
                            .version(HttpClient.Version.HTTP_1_1)
                            .build()
                            .send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                return "answered "
                        + response.statusCode()
                        + ": "
                        + new String(response.body(), StandardCharsets.UTF_8).strip();
            }
            if (!Arrays.equals(response.body(), payload)) {
                return "did not echo the request body; answered '"
                        + new String(response.body(), StandardCharsets.UTF_8)
                        + "'";
            }
            return null;
        } catch (IOException e) {
            return "probe request failed: " + e;
        }
    }
}
