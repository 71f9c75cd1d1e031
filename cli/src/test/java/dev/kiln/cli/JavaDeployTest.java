package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code kiln deploy s/f Handler.java}: one Java file built with TeaVM and the SDK packaged in the
 * jar (docs/adr/0051), deployed to a real host as a wasi-cgi function and invoked.
 */
@Tag("slow") // fetches TeaVM through Maven the first time (cached in ~/.cache/kiln/java)
class JavaDeployTest extends CliAgainstHost {

    @Test
    void aJavaFileIsBuiltDeployedAsWasiCgiAndInvoked() throws IOException {
        Path source =
                Files.writeString(
                        work.resolve("Handler.java"),
                        """
                        public class Handler {
                            public byte[] handle(byte[] event) {
                                System.out.println("got " + event.length + " bytes");
                                return new String(event).toUpperCase().getBytes();
                            }
                        }
                        """);
        var r = kiln.run("deploy", "demo/shout", source.toString(), "--json");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.err()).contains("with TeaVM and Kiln's Java SDK").contains("  | built ");
        assertThat(r.out()).contains("\"abi\" : \"wasi-cgi\"").contains("\"number\" : 1");
        var invoked = kiln.run("invoke", "demo/shout", "-d", "hey");
        assertThat(invoked.exit()).as(invoked.toString()).isZero();
        assertThat(invoked.out()).isEqualTo("HEY");

        // A source javac refuses: the build fails with the compiler's message, nothing deploys.
        Files.writeString(source, "public class Handler { int x = ; }\n");
        r = kiln.run("deploy", "demo/shout", source.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("Handler.java:1: error:");
        assertThat(r.err().lines().toList().getLast()).startsWith("error: build_failed: ");

        // No handle method and no StreamRequestHandler: the build says what it looked for.
        Files.writeString(
                source, "public class Handler { public String run(String s) { return s; } }\n");
        r = kiln.run("deploy", "demo/shout", source.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("no handler class");
    }
}
