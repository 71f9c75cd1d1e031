package dev.kiln.host.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code kiln new} writes a project from the templates packaged in the host (building and running
 * the projects is guest-sdks/e2e's job: it needs the toolchains).
 */
class NewCommandTest {
    @TempDir Path tmp;

    record Run(int exit, String out, String err) {}

    static Run kiln(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new KilnCli());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void rustProjectHasTheSdkTheHelloExampleAndItsName() throws Exception {
        Path project = tmp.resolve("my-fn");
        Run r = kiln("new", "rust", "my-fn", "--dir", project.toString());

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out())
                .contains("Created rust function 'my-fn'")
                .contains("./build.sh")
                .contains("@target/wasm32-unknown-unknown/release/my_fn.wasm")
                .contains("/api/v1/services/demo/functions/my-fn")
                .contains("/fn/demo/my-fn/greet?name=Kiln");
        assertThat(Files.readString(project.resolve("Cargo.toml")))
                .contains("name = \"my-fn\"")
                .contains("kiln = { path = \"kiln\" }")
                .doesNotContain("{{");
        assertThat(Files.readString(project.resolve("src/lib.rs")))
                .contains("kiln::http_handler!(handle);");
        assertThat(Files.readString(project.resolve("kiln/src/lib.rs")))
                .contains("macro_rules! http_handler");
        assertThat(Files.readString(project.resolve("build.sh")))
                .contains("release/my_fn.wasm")
                .doesNotContain("{{");
        assertThat(Files.isExecutable(project.resolve("build.sh"))).isTrue();
        assertThat(Files.readString(project.resolve(".gitignore"))).contains("target/");
        // Crates: documented, and build.sh can go online when asked (offline by default).
        assertThat(Files.readString(project.resolve("README.md")))
                .contains("## Using crates")
                .contains("cargo vendor")
                .contains("KILN_CARGO_ONLINE=1");
        assertThat(Files.readString(project.resolve("build.sh")))
                .contains("KILN_CARGO_ONLINE")
                .contains("offline=(--offline)");
        assertThat(Files.readString(project.resolve("kiln.json")))
                .contains("target/wasm32-unknown-unknown/release/my_fn.wasm");
    }

    @Test
    void cAndAssemblyScriptProjects() throws Exception {
        Run c = kiln("new", "c", "greeter", "--dir", tmp.resolve("c").toString());
        assertThat(c.exit()).as(c.err()).isZero();
        assertThat(Files.readString(tmp.resolve("c/greeter.c")))
                .contains("KILN_HTTP_HANDLER(handle)");
        assertThat(tmp.resolve("c/kiln.h")).exists();
        assertThat(Files.readString(tmp.resolve("c/build.sh"))).contains("build/greeter.wasm");

        Run as = kiln("new", "as", "greeter", "--dir", tmp.resolve("as").toString());
        assertThat(as.exit()).as(as.err()).isZero();
        assertThat(as.out()).contains("Created assemblyscript function 'greeter'");
        assertThat(Files.readString(tmp.resolve("as/package.json")))
                .contains("\"name\": \"greeter\"")
                .contains("\"kiln-sdk\": \"file:kiln\"");
        assertThat(Files.readString(tmp.resolve("as/assembly/index.ts")))
                .contains("from \"kiln-sdk/assembly\"");
        assertThat(tmp.resolve("as/kiln/assembly/exports.ts")).exists();
    }

    @Test
    void defaultsToADirectoryNamedAfterTheFunction() {
        Path project = tmp.resolve("hello");
        Run r = kiln("new", "c", "hello", "--dir", project.toString());
        assertThat(r.exit()).isZero();
        assertThat(project.resolve("hello.c")).exists();
    }

    @Test
    void refusesUnknownLanguagesBadNamesAndNonEmptyDirectories() throws Exception {
        Run lang = kiln("new", "cobol", "x", "--dir", tmp.resolve("a").toString());
        assertThat(lang.exit()).isEqualTo(2);
        assertThat(lang.err()).contains("no template for language 'cobol'").contains("rust, c");
        assertThat(tmp.resolve("a")).doesNotExist();

        for (String bad : new String[] {"../escape", "My-Fn", "x.y", "a b", ""}) {
            Run name = kiln("new", "rust", bad, "--dir", tmp.resolve("b").toString());
            assertThat(name.exit()).as(bad).isEqualTo(2);
            assertThat(name.err()).as(bad).contains("cannot name a function");
        }
        assertThat(tmp.resolve("b")).doesNotExist();

        Path taken = tmp.resolve("taken");
        Files.createDirectories(taken);
        Files.writeString(taken.resolve("keep.txt"), "mine");
        Run busy = kiln("new", "rust", "taken", "--dir", taken.toString());
        assertThat(busy.exit()).isEqualTo(2);
        assertThat(busy.err()).contains("already exists and is not empty");
        assertThat(Files.readString(taken.resolve("keep.txt"))).isEqualTo("mine");
        assertThat(taken.resolve("Cargo.toml")).doesNotExist();
    }

    @Test
    void namesFollowTheServersRuleAndTheCommandsUseTheGivenEndpoint() throws Exception {
        // The server takes names starting with a digit; so does kiln new, except for Cargo.
        Run c =
                kiln(
                        "new",
                        "c",
                        "1st",
                        "--dir",
                        tmp.resolve("1st").toString(),
                        "--endpoint",
                        "https://kiln.example.com/",
                        "--service",
                        "shop");
        assertThat(c.exit()).as(c.err()).isZero();
        assertThat(c.out())
                .contains("kiln login --endpoint https://kiln.example.com ")
                .contains("kiln deploy shop/1st " + tmp.resolve("1st"))
                .contains("'https://kiln.example.com/fn/shop/1st/greet?name=Kiln'")
                .contains("https://kiln.example.com/api/v1/services/shop/functions/1st")
                .doesNotContain("127.0.0.1");
        assertThat(Files.readString(tmp.resolve("1st/kiln.json")))
                .contains("\"module\": \"build/1st.wasm\"");
        Run rust = kiln("new", "rust", "1st", "--dir", tmp.resolve("r").toString());
        assertThat(rust.exit()).isEqualTo(2);
        assertThat(rust.err()).contains("cannot name a Rust package");
        assertThat(tmp.resolve("r")).doesNotExist();
    }

    @Test
    void javaProjectBuildsAZipChoosingWasiCgiAndSaysSo() throws Exception {
        Path project = tmp.resolve("orders");
        Run r = kiln("new", "java", "orders", "--dir", project.toString());

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out())
                .contains("Created java function 'orders'")
                .contains("'Content-Type: application/zip'")
                .contains("--data-binary @build/orders.zip");
        assertThat(Files.readString(project.resolve("kiln.json")))
                .contains("\"module\": \"build/orders.zip\"");
        assertThat(Files.readString(project.resolve("build.sh")))
                .contains("kiln-java/build.sh build/orders.zip src/main/java");
        assertThat(Files.readString(project.resolve("src/main/java/Hello.java")))
                .contains("public Response handle(byte[] event, Context context)");
        assertThat(Files.isExecutable(project.resolve("kiln-java/build.sh"))).isTrue();
        assertThat(project.resolve("kiln-java/sdk/dev/kiln/guest/KilnRuntime.java"))
                .isRegularFile();
    }

    @Test
    void everyTemplateFileIsPackagedAndWritten() throws Exception {
        for (String language : ProjectTemplate.LANGUAGES) {
            ProjectTemplate t = ProjectTemplate.load(language);
            var written = t.writeTo(tmp.resolve(language), "x");
            assertThat(written).hasSize(t.entries().size() + 1); // + kiln.json
            for (Path f : written) {
                assertThat(Files.size(f)).as(f.toString()).isPositive();
            }
        }
    }
}
