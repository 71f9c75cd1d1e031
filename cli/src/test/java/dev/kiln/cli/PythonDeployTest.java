package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code kiln deploy s/f handler.py}: one Python file built with the runtime packaged in the jar
 * (docs/adr/0050), deployed to a real host and invoked.
 */
@Tag("slow") // builds CPython the first time (cached in ~/.cache/kiln/python afterwards)
class PythonDeployTest extends CliAgainstHost {

    @Test
    void aPythonFileIsBuiltDeployedAndInvoked() throws IOException {
        Path source =
                Files.writeString(
                        work.resolve("handler.py"),
                        """
                        def handler(event, context):
                            print("got", event.decode())
                            return {"upper": event.decode().upper(), "fn": context.function.name}
                        """);
        var r = kiln.run("deploy", "demo/shout", source.toString());
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.err()).contains("with Kiln's Python runtime").contains("  | built ");
        assertThat(r.out()).contains("Deployed demo/shout: version 1");
        var invoked = kiln.run("invoke", "demo/shout", "-d", "hey");
        assertThat(invoked.exit()).as(invoked.toString()).isZero();
        assertThat(invoked.out()).isEqualTo("{\"upper\":\"HEY\",\"fn\":\"shout\"}");

        // A source that raises while being imported: the build succeeds, the upload is refused.
        Files.writeString(source, "raise RuntimeError('broken at import')\n");
        r = kiln.run("deploy", "demo/shout", source.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().lines().toList().getLast()).startsWith("error: invalid_module: ");

        // A missing file is the CLI's not_found, as for any path.
        r = kiln.run("deploy", "demo/shout", work.resolve("missing.py").toString());
        assertThat(r.err().strip()).startsWith("error: not_found: ");
    }
}
