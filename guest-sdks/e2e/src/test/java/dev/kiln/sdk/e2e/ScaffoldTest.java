package dev.kiln.sdk.e2e;

import static dev.kiln.sdk.e2e.KilnUnderTest.header;
import static dev.kiln.sdk.e2e.KilnUnderTest.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.cli.KilnCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code kiln new <lang> <name>}: the project it writes builds on its own with its build.sh, and
 * the module deploys and answers like the SDK's hello example, following the printed next steps.
 */
@Tag("slow") // builds kiln new projects with the SDK toolchains
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScaffoldTest {
    static final Pattern MODULE_IN_HINT = Pattern.compile("--data-binary @(\\S+\\.(?:wasm|zip))");

    /** Projects stay in target/scaffold/ after the run, to try by hand. */
    final Path projects = Path.of("target", "scaffold").toAbsolutePath();

    KilnUnderTest kiln;

    @BeforeAll
    void start() {
        kiln = KilnUnderTest.start("ScaffoldTest");
    }

    @AfterAll
    void stop() {
        kiln.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"rust", "c", "assemblyscript", "js", "java"})
    void newProjectBuildsDeploysAndAnswers(String language) {
        String name = "my-" + (language.equals("assemblyscript") ? "as" : language) + "-fn";
        Path project = projects.resolve(name);
        deleteRecursively(project);

        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(new KilnCli());
        cli.setOut(new PrintWriter(out));
        int exit = cli.execute("new", language, name, "--dir", project.toString());
        assertThat(exit).as(out.toString()).isZero();

        SdkBuild.run(project, "scaffold-" + language, List.of("./build.sh"));

        Matcher m = MODULE_IN_HINT.matcher(out.toString());
        assertThat(m.find()).as("next steps name the module: %s", out).isTrue();
        byte[] code = SdkBuild.read(project.resolve(m.group(1)));
        var deployed =
                m.group(1).endsWith(".zip")
                        ? kiln.deployZip("scaffold", name, code)
                        : kiln.deploy("scaffold", name, code);
        assertThat(deployed.statusCode()).as(text(deployed)).isEqualTo(201);

        var r = kiln.http("GET", "scaffold", name, "/greet?name=Kiln", new byte[0]);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        assertThat(text(r)).isEqualTo("Hello, Kiln! (GET /greet)\n");
        assertThat(header(r, "x-sdk")).isEqualTo(language);
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** scaffold.txt lists files one by one (jar resources cannot be listed): none forgotten. */
    @Test
    void scaffoldsCarryEverySdkSourceFile() throws IOException {
        assertThat(unmapped("rust", "src", ".rs")).isEmpty();
        assertThat(unmapped("assemblyscript", "assembly", ".ts")).isEmpty();
        assertThat(unmapped("c", ".", ".h")).isEmpty();
        assertThat(unmapped("js", "runtime", "")).isEmpty();
        assertThat(unmapped("python", "runtime", "")).isEmpty();
        assertThat(unmapped("java", "runtime", "")).isEmpty();
        assertThat(unmapped("java", "runtime/tool", ".java")).isEmpty();
        assertThat(unmapped("java", "runtime/sdk/dev/kiln/guest", ".java")).isEmpty();
    }

    private static List<String> unmapped(String sdk, String folder, String suffix)
            throws IOException {
        Path root = SdkBuild.SDKS.resolve(sdk);
        String scaffold = Files.readString(root.resolve("scaffold.txt"));
        List<String> missing = new ArrayList<>();
        try (Stream<Path> files = Files.list(root.resolve(folder))) {
            for (Path f :
                    files.filter(p -> Files.isRegularFile(p) && p.toString().endsWith(suffix))
                            .toList()) {
                String source = root.relativize(f.normalize()).toString();
                if (!scaffold.contains("<- " + source + "\n")) {
                    missing.add(sdk + "/" + source);
                }
            }
        }
        return missing;
    }
}
