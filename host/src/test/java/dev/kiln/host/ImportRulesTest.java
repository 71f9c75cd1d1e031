package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The import rules of docs/ARCHITECTURE.md, checked on the sources. */
class ImportRulesTest {
    static final Path MAIN = Path.of("src", "main", "java", "dev", "kiln", "host");

    @Test
    void onlySandboxAndFuelImportChicory() throws IOException {
        assertThat(offenders("import com.dylibso.chicory", List.of("sandbox", "fuel"))).isEmpty();
    }

    @Test
    void onlyHttpImportsUndertow() throws IOException {
        assertThat(offenders("import io.undertow", List.of("http"))).isEmpty();
    }

    @Test
    void onlyTheCliImportsTheLoadGenerator() throws IOException {
        // The server never generates load; only `kiln bench` does.
        assertThat(offenders("import dev.kiln.loadgen", List.of("cli"))).isEmpty();
    }

    @Test
    void storageAndRecordsDoNotReachUpTheRequestPath() throws IOException {
        List<String> bad = new ArrayList<>();
        for (String pkg : List.of("registry", "observability", "storage", "core")) {
            for (String upper :
                    List.of(
                            "http",
                            "deploy",
                            "invoke",
                            "pool",
                            "sandbox",
                            "fuel",
                            "events",
                            "triggers")) {
                bad.addAll(offendersIn(pkg, "import dev.kiln.host." + upper + "."));
            }
        }
        assertThat(bad).isEmpty();
    }

    @Test
    void eventsAndTriggersSitBesideTheRequestPath() throws IOException {
        List<String> bad = new ArrayList<>();
        // Triggers feed events; events run through invoke. Neither reaches back up.
        for (String upper : List.of("http", "deploy", "triggers")) {
            bad.addAll(offendersIn("events", "import dev.kiln.host." + upper + "."));
        }
        for (String upper : List.of("http", "deploy")) {
            bad.addAll(offendersIn("triggers", "import dev.kiln.host." + upper + "."));
        }
        // Only the HTTP layer and the composition root know about events and triggers.
        for (String pkg : List.of("invoke", "pool", "sandbox", "fuel", "deploy", "config")) {
            bad.addAll(offendersIn(pkg, "import dev.kiln.host.triggers."));
        }
        for (String pkg : List.of("invoke", "pool", "sandbox", "fuel", "deploy")) {
            bad.addAll(offendersIn(pkg, "import dev.kiln.host.events."));
        }
        assertThat(bad).isEmpty();
    }

    @Test
    void onlyTriggersImportTheCronLibrary() throws IOException {
        assertThat(offenders("import com.cronutils", List.of("triggers"))).isEmpty();
    }

    /** Files outside {@code allowed} packages that contain {@code importPrefix}. */
    private static List<String> offenders(String importPrefix, List<String> allowed)
            throws IOException {
        List<String> bad = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkg =
                        MAIN.relativize(f).getParent() == null
                                ? ""
                                : MAIN.relativize(f).getName(0).toString();
                if (!allowed.contains(pkg) && Files.readString(f).contains(importPrefix)) {
                    bad.add(MAIN.relativize(f).toString());
                }
            }
        }
        return bad;
    }

    private static List<String> offendersIn(String pkg, String importPrefix) throws IOException {
        List<String> bad = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN.resolve(pkg))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                if (Files.readString(f).contains(importPrefix)) {
                    bad.add(MAIN.relativize(f) + " imports " + importPrefix);
                }
            }
        }
        return bad;
    }
}
