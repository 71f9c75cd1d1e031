package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.KilnHost;
import dev.kiln.host.config.KilnConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code ./kiln} script (a separate JVM from the packaged jar) against a host started
 * here; runs after {@code package} (the cli module's {@code script} surefire execution).
 */
class KilnScriptTest {
    private static final String TOKEN = "script-test-admin-token";
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern LISTENING =
            Pattern.compile("Kiln listening on (http://\\S+:\\d+)");

    @TempDir Path data;
    @TempDir Path work;
    private KilnHost host;

    @BeforeEach
    void start() throws IOException {
        host = KilnHost.start(KilnConfig.builder().port(0).dataDir(data).adminToken(TOKEN).build());
    }

    @AfterEach
    void stop() {
        host.close();
    }

    record Result(int exit, String out, String err) {}

    private Result kiln(String... args) throws IOException, InterruptedException {
        return kilnWith(Map.of(), args);
    }

    private Result kilnWith(Map<String, String> extraEnv, String... args)
            throws IOException, InterruptedException {
        var command = new java.util.ArrayList<>(List.of(ROOT.resolve("kiln").toString()));
        command.addAll(List.of(args));
        var pb = new ProcessBuilder(command).directory(work.toFile());
        pb.environment()
                .putAll(
                        Map.of(
                                "KILN_ENDPOINT",
                                "http://127.0.0.1:" + host.port(),
                                "KILN_CONFIG_DIR",
                                work.resolve("config").toString()));
        pb.environment().remove("KILN_TOKEN");
        pb.environment().putAll(extraEnv);
        pb.redirectOutput(work.resolve("out").toFile()).redirectError(work.resolve("err").toFile());
        Process p = pb.start();
        p.getOutputStream().write((TOKEN + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("./kiln finished").isTrue();
        return new Result(
                p.exitValue(),
                Files.readString(work.resolve("out")),
                Files.readString(work.resolve("err")));
    }

    @Test
    void theScriptPicksAJdkOf21OrNewerWhateverJavaHomeSays() throws Exception {
        Path old = null;
        try (var dirs = Files.list(Path.of("/usr/lib/jvm"))) {
            for (Path d : dirs.toList()) {
                Path release = d.resolve("release");
                if (Files.isRegularFile(release)
                        && Files.readString(release)
                                .matches("(?s).*JAVA_VERSION=\"(1[0-9]|[0-9])[.\"].*")) {
                    old = d;
                    break;
                }
            }
        } catch (IOException e) {
            old = null;
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(old != null, "no JDK older than 21 here");
        Result r = kilnWith(Map.of("JAVA_HOME", old.toString()), "--version");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("kiln ");
    }

    /**
     * A launcher run with {@code -Xlog:trimnative} on this JVM's JDK wrote {@code err}: HotSpot's
     * line saying the trimmer is on, unless the JDK is 21.0.0, which lacks it (docs/adr/0077).
     */
    static void assertTrimsNativeHeap(String err) {
        Runtime.Version v = Runtime.version();
        if (v.feature() > 21 || (v.feature() == 21 && v.update() >= 1)) {
            assertThat(err).contains("Periodic native trim enabled (interval: 10000 ms)");
        } else {
            assertThat(err).doesNotContain("trimnative");
        }
    }

    @Test
    void theScriptHasTheJvmTrimItsNativeHeap() throws Exception {
        Result r =
                kilnWith(
                        Map.of(
                                "JAVA_HOME",
                                System.getProperty("java.home"),
                                "KILN_JAVA_OPTS",
                                "-Xlog:trimnative:stderr"),
                        "--version");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("kiln ");
        assertTrimsNativeHeap(r.err());
    }

    @Test
    void serveLogsReadableLinesOrJsonAsAsked() throws Exception {
        for (String format : new String[] {"text", "json"}) {
            String err = serveUntilListening("serve-" + format, Map.of(), "--log-format", format);
            // The first start creates the secrets key and says so in the log.
            List<String> lines = err.lines().filter(l -> l.contains("secrets key")).toList();
            assertThat(lines).as(format).isNotEmpty();
            if (format.equals("json")) {
                assertThat(lines.getFirst()).startsWith("{").contains("\"level\":\"INFO\"");
            } else {
                assertThat(lines.getFirst())
                        .matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO .*")
                        .doesNotContain("{\"");
            }
        }
    }

    @Test
    void serveTrainsItsStartCacheOncePerBuildAndStartsFromIt() throws Exception {
        Path cacheDir = work.resolve("start-cache");
        Map<String, String> env = Map.of("KILN_CDS_DIR", cacheDir.toString());
        String first = serveUntilListening("first", env);
        assertThat(first).contains("kiln: training the start-up cache");
        assertThat(Files.readString(cacheDir.resolve("kiln-serve-training.log")))
                .contains("training run: ");
        Path cache = startCache(cacheDir);
        var strictEnv = new java.util.HashMap<>(env);
        strictEnv.put("KILN_JAVA_OPTS", mapsOrFails(cache));
        String second = serveUntilListening("second", strictEnv);
        assertThat(second).doesNotContain("training").doesNotContain("[error");
        // Another build's cache (another fingerprint in its name) goes; this build's is trained.
        String name = cache.getFileName().toString();
        Path other = cacheDir.resolve(name.replaceFirst("-[0-9]+-[0-9]+\\.", "-1-2."));
        Files.move(cache, other);
        assertThat(serveUntilListening("third", env)).contains("kiln: training the start-up cache");
        assertThat(cache).exists();
        assertThat(other).doesNotExist();
        assertThat(serveUntilListening("fourth", strictEnv)).doesNotContain("training");
        // A directory that cannot be made: serve starts without a cache.
        assertThat(serveUntilListening("unwritable", Map.of("KILN_CDS_DIR", "/proc/kiln-cache")))
                .doesNotContain("training");
    }

    /**
     * The first invocations after a restart — {@code /invoke} by latest, version and alias, and the
     * HTTP trigger, of a function that calls the host — load every class of Kiln's they need from
     * the start-up cache: a pattern {@code switch} (or a lambda the cache did not keep) would spin
     * one there, and a class the training run never loaded would be read from its jar and verified,
     * in the first request's time (docs/adr/0079).
     */
    @Test
    void theFirstInvocationsAfterARestartLoadKilnsClassesFromTheCache() throws Exception {
        Path cacheDir = work.resolve("start-cache");
        Map<String, String> env = Map.of("KILN_CDS_DIR", cacheDir.toString());
        String function = "/api/v1/services/demo/functions/echo";
        try (Served first = serve("host", env)) {
            first.expect(201, first.put(function, "application/wasm", CliRunner.echo("first:")));
            first.expect(
                    201,
                    first.put(
                            function + "/aliases/prod",
                            "application/json",
                            "{\"version\": 1}".getBytes(StandardCharsets.UTF_8)));
        }
        Map<String, String> restart = new java.util.HashMap<>(env);
        // The cache is mapped or the JVM does not start; every class it loads is on stdout.
        restart.put(
                "KILN_JAVA_OPTS",
                mapsOrFails(startCache(cacheDir)) + " -Xlog:class+load=info:stdout");
        try (Served again = serve("host", restart)) {
            int before = again.out().length();
            for (String path :
                    List.of(
                            function + "/invoke",
                            function + "/invoke?qualifier=1",
                            function + "/invoke?qualifier=prod",
                            "/fn/demo/echo/")) {
                var r = again.expect(200, again.post(path, "hi"));
                assertThat(r.body()).as(path).isEqualTo("first:hi");
            }
            List<String> kilnClasses =
                    again.out()
                            .substring(before)
                            .lines()
                            .filter(l -> l.contains("] dev.kiln."))
                            .filter(l -> !l.contains("source: shared objects file"))
                            .toList();
            assertThat(kilnClasses).isEmpty();
        }
    }

    /** The start-up cache {@code ./kiln serve} trained in {@code cacheDir}. */
    private static Path startCache(Path cacheDir) throws IOException {
        try (var files = Files.list(cacheDir)) {
            return files.filter(
                            f -> f.getFileName().toString().matches("kiln-serve-jdk.*\\.(aot|jsa)"))
                    .findFirst()
                    .orElseThrow();
        }
    }

    /** The JVM option that makes it refuse to start unless it can map {@code cache}. */
    private static String mapsOrFails(Path cache) {
        return cache.toString().endsWith(".aot") ? "-XX:AOTMode=on" : "-Xshare:on";
    }

    /**
     * Runs {@code ./kiln serve} on a data directory of its own until it listens, stops it, and
     * answers what it wrote to stderr.
     */
    private String serveUntilListening(String name, Map<String, String> env, String... options)
            throws Exception {
        Served served = serve(name, env, options);
        served.close();
        return served.err();
    }

    /**
     * Starts {@code ./kiln serve} on {@code work/name/data} and waits until it listens; its stdout
     * and stderr go to {@code work/name/out} and {@code err}.
     */
    private Served serve(String name, Map<String, String> env, String... options) throws Exception {
        Path dir = work.resolve(name);
        Files.createDirectories(dir);
        var command =
                new java.util.ArrayList<>(
                        List.of(
                                ROOT.resolve("kiln").toString(),
                                "serve",
                                "--port",
                                "0",
                                "--data",
                                dir.resolve("data").toString()));
        command.addAll(List.of(options));
        var pb =
                new ProcessBuilder(command)
                        .redirectOutput(dir.resolve("out").toFile())
                        .redirectError(dir.resolve("err").toFile());
        pb.environment().putAll(env);
        Process process = pb.start();
        try {
            String endpoint = awaitListening(process, dir.resolve("out"), dir.resolve("err"));
            return new Served(process, dir, endpoint);
        } catch (Exception | AssertionError e) {
            stop(process);
            throw e;
        }
    }

    /**
     * Waits up to 90 s for the {@code kiln serve} {@code process} writing {@code out} and {@code
     * err} to say it listens, and answers its endpoint.
     */
    static String awaitListening(Process process, Path out, Path err) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            Matcher m = LISTENING.matcher(Files.readString(out));
            if (m.find()) {
                return m.group(1);
            }
            assertThat(process.isAlive()).as(Files.readString(err)).isTrue();
            assertThat(System.nanoTime()).as("started within 90 s").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /**
     * A {@code ./kiln serve} process, its directory and the endpoint it listens on; {@link #close}
     * stops it.
     */
    private record Served(Process process, Path dir, String endpoint) implements AutoCloseable {
        String out() throws IOException {
            return Files.readString(dir.resolve("out"));
        }

        String err() throws IOException {
            return Files.readString(dir.resolve("err"));
        }

        HttpRequest.Builder put(String path, String type, byte[] body) throws IOException {
            return request(path)
                    .header("Content-Type", type)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        }

        HttpRequest.Builder post(String path, String body) throws IOException {
            return request(path).POST(HttpRequest.BodyPublishers.ofString(body));
        }

        private HttpRequest.Builder request(String path) throws IOException {
            String token = Files.readString(dir.resolve("data").resolve("admin-token")).strip();
            return HttpRequest.newBuilder(URI.create(endpoint + path))
                    .header("Authorization", "Bearer " + token);
        }

        HttpResponse<String> expect(int status, HttpRequest.Builder request)
                throws IOException, InterruptedException {
            try (HttpClient client = HttpClient.newHttpClient()) {
                HttpResponse<String> r =
                        client.send(request.build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
                return r;
            }
        }

        @Override
        public void close() {
            stop(process);
        }
    }

    private static void stop(Process process) {
        process.destroy();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void theScriptLogsInDeploysAndInvokes() throws Exception {
        Path module = Files.write(work.resolve("echo.wasm"), CliRunner.echo("script:"));
        Result r = kiln("login", "--token-stdin");
        assertThat(r.exit()).as(r.toString()).isZero();
        r = kiln("deploy", "demo/echo", module.toString(), "--memory-mib", "16");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Deployed demo/echo: version 1");
        r = kiln("invoke", "demo/echo", "--data", "hello");
        assertThat(r.out()).isEqualTo("script:hello");
        r = kiln("invoke", "demo/missing");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("error: function_not_found: ").doesNotContain("\n");
        // The server's commands are still there.
        r = kiln("serve", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--port");
    }
}
