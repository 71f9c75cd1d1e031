package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The import rules of docs/ARCHITECTURE.md, checked on the sources. */
class ImportRulesTest {
    static final Path MAIN = Path.of("src", "main", "java", "dev", "kiln", "host");
    static final Path ARCHITECTURE = Path.of("..", "docs", "ARCHITECTURE.md");

    /** The package of the classes directly in {@code dev.kiln.host}: the composition root. */
    static final String ROOT = "KilnHost";

    /**
     * The host's packages, top to bottom: a package imports only packages in layers below its own
     * (packages in one layer do not import each other). The request path runs down from {@code
     * http} to {@code fuel}; the shared packages every layer may use sit at the bottom.
     */
    static final List<List<String>> LAYERS =
            List.of(
                    List.of("cli", "embed"),
                    List.of(ROOT),
                    List.of("http"),
                    List.of("triggers"),
                    // cluster mode stores the event path's queue in JetStream (docs/adr/0053)
                    List.of("cluster"),
                    List.of("events"),
                    List.of("deploy"),
                    List.of("invoke"),
                    List.of("pool"),
                    List.of("sandbox"),
                    List.of("fuel"),
                    List.of(
                            "access",
                            "quota",
                            "secrets",
                            "tls",
                            "routes",
                            "kv",
                            "replay",
                            "outbound",
                            "registry",
                            "observability",
                            "config"),
                    List.of("storage"),
                    List.of("core"));

    /**
     * Pairs that stand beside each other although one is listed above the other: the upload path
     * ({@code deploy}) and the event path ({@code triggers → events}) meet only in {@code http} and
     * {@code invoke}, so neither imports the other.
     */
    static final List<List<String>> APART =
            List.of(List.of("triggers", "deploy"), List.of("events", "deploy"));

    /**
     * The only imports that point up: {@code config} names the plain limit and setting types of the
     * packages it configures, so that {@code KilnConfig} holds every limit.
     */
    static final Map<String, Set<String>> UPWARD_TYPES =
            Map.of(
                    "config",
                    Set.of(
                            "dev.kiln.host.access.AccessLimits",
                            "dev.kiln.host.deploy.UploadLimits",
                            "dev.kiln.host.events.EventLimits",
                            "dev.kiln.host.kv.KvLimits",
                            "dev.kiln.host.observability.ObservabilityLimits",
                            "dev.kiln.host.observability.TracingSettings",
                            "dev.kiln.host.pool.PoolLimits",
                            "dev.kiln.host.sandbox.ModuleLimits",
                            "dev.kiln.host.sandbox.ResetStrategy"));

    /** A reference to another host package in source text (imports, static imports, FQNs). */
    private static final Pattern HOST_REFERENCE =
            Pattern.compile(
                    "\\bdev\\.kiln\\.host\\.(?:([a-z_][a-z0-9_]*)\\.([A-Za-z_]\\w*|\\*)|([A-Z]\\w*))");

    @Test
    void onlySandboxAndFuelImportChicory() throws IOException {
        assertThat(offenders("import com.dylibso.chicory", List.of("sandbox", "fuel"))).isEmpty();
    }

    @Test
    void onlySandboxRewritesBytecode() throws IOException {
        assertThat(offenders("import org.objectweb.asm", List.of("sandbox"))).isEmpty();
    }

    @Test
    void onlyHttpImportsUndertow() throws IOException {
        assertThat(offenders("import io.undertow", List.of("http"))).isEmpty();
    }

    @Test
    void onlyClusterImportsTheNatsClient() throws IOException {
        // The embedded node never loads a NATS class (docs/adr/0048).
        assertThat(offenders("import io.nats", List.of("cluster"))).isEmpty();
    }

    @Test
    void onlyObservabilityImportsOpenTelemetry() throws IOException {
        // Tracing's SDK stays behind observability.Tracing (docs/adr/0047).
        assertThat(offenders("import io.opentelemetry", List.of("observability"))).isEmpty();
    }

    @Test
    void onlyTheCliImportsTheLoadGenerator() throws IOException {
        // The server never generates load; only `kiln bench` does.
        assertThat(offenders("import dev.kiln.loadgen", List.of("cli"))).isEmpty();
    }

    @Test
    void onlyTriggersImportTheCronLibrary() throws IOException {
        assertThat(offenders("import com.cronutils", List.of("triggers"))).isEmpty();
    }

    @Test
    void onlyTheHttpLayerDecidesWhoMayDoWhat() throws IOException {
        // Enforcement is the HTTP layer's: nothing below it imports keys, roles or the table
        // (config names only AccessLimits, as UPWARD_TYPES says).
        assertThat(
                        offenders(
                                "import dev.kiln.host.access.",
                                List.of("cli", ROOT, "http", "access", "config")))
                .isEmpty();
    }

    @Test
    void everyPackageHasItsPlaceInTheLayers() throws IOException {
        // A new package must be placed deliberately (here and in docs/ARCHITECTURE.md).
        Set<String> listed = new TreeSet<>();
        LAYERS.forEach(listed::addAll);
        assertThat(packages()).containsExactlyInAnyOrderElementsOf(listed);
    }

    @Test
    void importsPointDownTheLayers() throws IOException {
        List<String> bad = new ArrayList<>();
        for (Path f : sources()) {
            String from = packageOf(f);
            String text = withoutPackageLine(Files.readString(f));
            Matcher m = HOST_REFERENCE.matcher(text);
            Set<String> seen = new LinkedHashSet<>();
            while (m.find()) {
                String to = m.group(1) != null ? m.group(1) : ROOT;
                String type = m.group(1) != null ? "dev.kiln.host." + to + "." + m.group(2) : null;
                if (!to.equals(from) && !mayUse(from, to, type) && seen.add(to + " " + type)) {
                    bad.add(MAIN.relativize(f) + " (" + from + ") uses " + m.group());
                }
            }
        }
        assertThat(bad).isEmpty();
    }

    @Test
    void theArchitecturePageStatesTheSameOrder() throws IOException {
        String page = Files.readString(ARCHITECTURE);
        int start = page.indexOf("## Import rules");
        assertThat(start).as("an Import rules section").isNotNegative();
        int end = page.indexOf("\n## ", start + 1);
        String rules = page.substring(start, end < 0 ? page.length() : end).replaceAll("\\s+", " ");
        List<String> expected = new ArrayList<>();
        expected.add(orderAsDocumented());
        for (List<String> pair : APART) {
            expected.add("`" + pair.get(0) + "` and `" + pair.get(1) + "`");
        }
        UPWARD_TYPES.values().stream()
                .flatMap(Set::stream)
                .sorted()
                .forEach(t -> expected.add("`" + t.substring("dev.kiln.host.".length()) + "`"));
        assertThat(expected).allSatisfy(text -> assertThat(rules).as(text).contains(text));
    }

    /** The order as docs/ARCHITECTURE.md's "Import rules" writes it. */
    static String orderAsDocumented() {
        return LAYERS.stream()
                .map(l -> l.stream().map(p -> "`" + p + "`").collect(Collectors.joining(", ")))
                .collect(Collectors.joining(" → "));
    }

    private static boolean mayUse(String from, String to, String type) {
        if (type != null && UPWARD_TYPES.getOrDefault(from, Set.of()).contains(type)) {
            return true;
        }
        for (List<String> pair : APART) {
            if (pair.contains(from) && pair.contains(to)) {
                return false;
            }
        }
        return layer(to) > layer(from);
    }

    private static int layer(String pkg) {
        for (int i = 0; i < LAYERS.size(); i++) {
            if (LAYERS.get(i).contains(pkg)) {
                return i;
            }
        }
        throw new AssertionError("package " + pkg + " is not in LAYERS");
    }

    private static Set<String> packages() throws IOException {
        Set<String> found = new TreeSet<>();
        for (Path f : sources()) {
            found.add(packageOf(f));
        }
        return found;
    }

    private static List<Path> sources() throws IOException {
        try (Stream<Path> files = Files.walk(MAIN)) {
            return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    private static String packageOf(Path file) {
        Path rel = MAIN.relativize(file);
        return rel.getParent() == null ? ROOT : rel.getName(0).toString();
    }

    private static String withoutPackageLine(String source) {
        return source.replaceFirst("(?m)^package [\\w.]+;", "");
    }

    /** Files outside {@code allowed} packages that contain {@code importPrefix}. */
    private static List<String> offenders(String importPrefix, List<String> allowed)
            throws IOException {
        List<String> bad = new ArrayList<>();
        for (Path f : sources()) {
            if (!allowed.contains(packageOf(f)) && Files.readString(f).contains(importPrefix)) {
                bad.add(MAIN.relativize(f).toString());
            }
        }
        return bad;
    }
}
