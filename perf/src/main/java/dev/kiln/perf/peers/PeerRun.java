package dev.kiln.perf.peers;

import com.dylibso.chicory.wabt.Wat2Wasm;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.kiln.loadgen.Durations;
import dev.kiln.perf.MachineStalls;
import dev.kiln.perf.compute.ComputeBench;
import dev.kiln.perf.compute.ComputeReport;
import dev.kiln.perf.peers.PeerReport.Status;
import dev.kiln.perf.peers.PeerReport.TargetResult;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code perf/run}: starts each peer in turn on this machine, finds every target's maximum
 * throughput and its latency at fractions of it, times the compute workloads in Kiln and V8, and
 * writes a markdown table, a JSON file and a latency plot per target.
 */
@Command(
        name = "perf/run",
        mixinStandardHelpOptions = true,
        description =
                "Kiln side by side with bare Undertow, workerd and V8, on this machine, in one"
                        + " run.")
public final class PeerRun implements Callable<Integer> {
    @Option(
            names = "--smoke",
            description = "Seconds instead of minutes: checks the harness works.")
    boolean smoke;

    @Option(names = "--out", description = "Results directory (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("perf", "results");

    @Option(
            names = "--only",
            split = ",",
            description =
                    "Measure only these targets (undertow-io, undertow-worker, workerd-hello,"
                            + " workerd-wasm, kiln-invoke, kiln-http, kiln-wasi-cgi) and/or"
                            + " 'compute'.")
    List<String> only;

    @Option(names = "--no-compute", description = "Skip the compute comparison.")
    boolean noCompute;

    @Option(names = "--kiln-jar", description = "Kiln's jar; default: run Kiln from the classpath.")
    Path kilnJar;

    @Option(
            names = "--workerd",
            description = "The workerd binary (default: from perf/node_modules).")
    Path workerd;

    @Option(names = "--node", description = "The node executable (default: node on the PATH).")
    Path node;

    @Option(
            names = "--workloads",
            description = "Directory of the compute modules (default: perf/workloads).")
    Path workloads;

    @Option(
            names = "--port-base",
            description = "First port for the servers; 0 lets the system pick (default: 0).")
    int portBase;

    @Option(names = "--connections", split = ",", description = "Connection counts tried for max.")
    List<Integer> connections;

    @Option(names = "--fractions", split = ",", description = "Open-loop rates, fractions of max.")
    List<Double> fractions;

    @Option(names = "--warmup", description = "Closed-loop warm-up per target, e.g. 5s.")
    String warmup;

    @Option(names = "--duration", description = "Each closed-loop run looking for max, e.g. 10s.")
    String duration;

    @Option(names = "--level-duration", description = "Each open-loop measurement, e.g. 15s.")
    String levelDuration;

    @Option(names = "--loadgen-threads", description = "Load generator event loops (default: 1).")
    Integer loadgenThreads;

    @Option(
            names = "--server-jvm-opts",
            description = "Extra JVM options for the Java servers (Undertow, Kiln).")
    String serverJvmOpts;

    @Option(
            names = "--classpath",
            description = "Classpath for the Java servers (default: this JVM's).",
            hidden = true)
    String classpath;

    @Option(
            names = "--require",
            split = ",",
            description =
                    "Fail instead of skipping when these are missing: workerd, node (CI uses"
                            + " this).")
    Set<String> require = Set.of();

    private Path reportFile;

    public static void main(String[] args) {
        System.exit(new CommandLine(new PeerRun()).execute(args));
    }

    /** The JSON report of the last run, for tests. */
    Path reportFile() {
        return reportFile;
    }

    @Override
    public Integer call() throws Exception {
        PrintStream log = System.err;
        RunSettings settings = settings();
        Instant started = Instant.now();
        String stamp =
                DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss'Z'")
                        .withZone(ZoneOffset.UTC)
                        .format(started);
        Path runDir = Files.createDirectories(out.resolve(stamp)).toAbsolutePath();
        Path work = Files.createDirectories(runDir.resolve("servers"));
        double loadBefore = loadAverage();

        Path workerdBin = workerd != null ? workerd : findWorkerd();
        String workerdMissing =
                workerdBin != null
                        ? null
                        : "workerd is not installed: run `npm ci --prefix perf` (perf/package.json"
                                + " pins it) or pass --workerd PATH";
        Path nodeBin = node != null ? node : onPath("node");
        String nodeMissing =
                nodeBin != null ? null : "node is not installed (apt-get install nodejs)";
        List<String> missing = new ArrayList<>();
        if (require.contains("workerd") && workerdBin == null) {
            missing.add(workerdMissing);
        }
        if (require.contains("node") && nodeBin == null) {
            missing.add(nodeMissing);
        }
        if (!missing.isEmpty()) {
            log.println("perf/run: " + String.join("; ", missing));
            return 1;
        }

        PeerContext context =
                new PeerContext(
                        ServerProcess.javaCommand(serverJvmOpts),
                        absoluteClasspath(
                                classpath != null
                                        ? classpath
                                        : System.getProperty("java.class.path")),
                        kilnJar == null ? null : kilnJar.toAbsolutePath(),
                        workerdBin,
                        workerdMissing,
                        work,
                        new Ports(portBase),
                        Wat2Wasm.parse(resource("/peers/echo.wat")),
                        Wat2Wasm.parse(resource("/peers/echo-cgi.wat")),
                        log);
        log.printf("perf/run%s: results in %s%n", settings.smoke() ? " --smoke" : "", runDir);
        MachineStalls stallsBefore = stalls(settings, log);
        List<TargetResult> targets = new ArrayList<>();
        TargetBench bench = new TargetBench(settings, runDir, log);
        String runLabel = "run " + stamp + (settings.smoke() ? " (smoke)" : "");
        for (Peer peer :
                List.of(
                        new UndertowPeer(false),
                        new UndertowPeer(true),
                        new WorkerdPeer(),
                        new KilnPeer())) {
            List<String> wanted = peer.targetIds().stream().filter(this::selected).toList();
            if (wanted.isEmpty()) {
                continue;
            }
            Peer.Running running;
            try {
                running = peer.start(context);
            } catch (PeerUnavailableException e) {
                log.println("skipping " + wanted + ": " + e.getMessage());
                wanted.forEach(
                        id ->
                                targets.add(
                                        TargetResult.notMeasured(
                                                id, Status.SKIPPED, e.getMessage())));
                continue;
            } catch (IOException e) {
                log.println("could not start " + wanted + ": " + e.getMessage());
                wanted.forEach(
                        id ->
                                targets.add(
                                        TargetResult.notMeasured(
                                                id, Status.FAILED, e.getMessage())));
                continue;
            }
            try {
                for (String id : wanted) {
                    Target target =
                            running.targets().stream()
                                    .filter(t -> t.id().equals(id))
                                    .findFirst()
                                    .orElse(null);
                    if (target == null) {
                        String why = running.unavailable().getOrDefault(id, "not served");
                        log.println("skipping " + id + ": " + why);
                        targets.add(TargetResult.notMeasured(id, Status.SKIPPED, why));
                        continue;
                    }
                    TargetBench.Measured m = bench.measure(target, running.server()::cpuNanos);
                    targets.add(m.result());
                    if (m.result().status() == Status.MEASURED) {
                        Files.writeString(
                                runDir.resolve(id + ".html"),
                                LatencyPlot.html(m.result(), m.curves(), runLabel));
                    }
                }
            } finally {
                running.server().close();
            }
        }

        ComputeReport compute = null;
        if (!noCompute && selected("compute")) {
            compute =
                    ComputeBench.run(
                            workloads != null ? workloads : findWorkloads(),
                            nodeBin,
                            nodeMissing,
                            work,
                            settings.compute(),
                            log);
        }

        PeerReport report =
                new PeerReport(
                        started.toString(),
                        machine(
                                nodeBin,
                                workerdBin,
                                loadBefore,
                                stallsBefore,
                                stalls(settings, log)),
                        settings,
                        targets,
                        compute);
        String markdown = MarkdownReport.render(report);
        reportFile = out.resolve(stamp + ".json");
        json().writeValue(reportFile.toFile(), report);
        Files.writeString(out.resolve(stamp + ".md"), markdown);
        System.out.println();
        System.out.print(markdown);
        System.out.println(
                "Saved "
                        + reportFile
                        + ", "
                        + out.resolve(stamp + ".md")
                        + " and plots, .hgrm files and server logs in "
                        + runDir);
        boolean failed = targets.stream().anyMatch(t -> t.status() == Status.FAILED);
        boolean wrongAnswers =
                compute != null && compute.workloads().stream().anyMatch(w -> w.note() != null);
        return failed || wrongAnswers ? 1 : 0;
    }

    static ObjectMapper json() {
        // Durations as ISO-8601 text ("PT10S"): no extra Jackson module needed.
        return new ObjectMapper()
                .registerModule(
                        new SimpleModule()
                                .addSerializer(Duration.class, ToStringSerializer.instance))
                .enable(SerializationFeature.INDENT_OUTPUT);
    }

    private boolean selected(String id) {
        return only == null || only.contains(id);
    }

    private RunSettings settings() {
        RunSettings base = smoke ? RunSettings.smokeRun() : RunSettings.fullRun();
        return new RunSettings(
                base.smoke(),
                warmup != null ? Durations.parse(warmup) : base.warmup(),
                duration != null ? Durations.parse(duration) : base.maxDuration(),
                connections != null ? connections : base.connections(),
                fractions != null ? fractions : base.fractions(),
                base.levelWarmup(),
                levelDuration != null ? Durations.parse(levelDuration) : base.levelDuration(),
                loadgenThreads != null ? loadgenThreads : base.loadgenThreads(),
                base.payload(),
                base.compute());
    }

    /** Servers run in their own directory: a relative classpath would not resolve there. */
    private static String absoluteClasspath(String classpath) {
        return String.join(
                File.pathSeparator,
                Arrays.stream(classpath.split(File.pathSeparator))
                        .filter(e -> !e.isEmpty())
                        .map(e -> Path.of(e).toAbsolutePath().toString())
                        .toList());
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = PeerRun.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Path findWorkerd() {
        String arch = System.getProperty("os.arch").contains("aarch64") ? "arm64" : "64";
        for (String base : List.of("perf/node_modules", "node_modules", "../perf/node_modules")) {
            Path p = Path.of(base, "@cloudflare", "workerd-linux-" + arch, "bin", "workerd");
            if (Files.isExecutable(p)) {
                return p.toAbsolutePath();
            }
        }
        return null;
    }

    private static Path findWorkloads() throws IOException {
        for (String dir : List.of("perf/workloads", "workloads")) {
            if (Files.isRegularFile(Path.of(dir, "fib.wasm"))) {
                return Path.of(dir).toAbsolutePath();
            }
        }
        throw new IOException("cannot find perf/workloads; pass --workloads DIR");
    }

    private static Path onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator, -1)) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * How often the machine stops a busy core (one spinning thread per core): the check of quiet
     * that the load average, a minute behind and blind to a hypervisor, cannot give.
     */
    private static MachineStalls stalls(RunSettings settings, PrintStream log)
            throws InterruptedException {
        MachineStalls stalls = MachineStalls.measure(Duration.ofSeconds(settings.smoke() ? 1 : 5));
        log.println("perf/run: machine stalls: " + stalls.describe());
        return stalls;
    }

    private PeerReport.Machine machine(
            Path nodeBin,
            Path workerdBin,
            double loadBefore,
            MachineStalls stallsBefore,
            MachineStalls stallsAfter) {
        return new PeerReport.Machine(
                Runtime.getRuntime().availableProcessors(),
                cpuModel(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                Runtime.version() + " (" + System.getProperty("java.vendor") + ")",
                nodeBin == null ? null : versionOf(nodeBin.toString(), "--version"),
                workerdBin == null ? null : versionOf(workerdBin.toString(), "--version"),
                loadBefore,
                loadAverage(),
                stallsBefore,
                stallsAfter);
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // Not Linux: the property below is all we know.
        }
        return System.getProperty("os.arch");
    }

    private static double loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+", -1);
            return Double.parseDouble(parts[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static String versionOf(String executable, String flag) {
        try {
            Process p = new ProcessBuilder(executable, flag).redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return text.strip().toLowerCase(Locale.ROOT).startsWith("workerd ")
                    ? text.strip().substring(8)
                    : text.strip();
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
