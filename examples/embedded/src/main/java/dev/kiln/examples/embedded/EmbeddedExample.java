package dev.kiln.examples.embedded;

import dev.kiln.host.embed.EmbeddedKiln;
import dev.kiln.host.embed.EmbeddedKilnException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Kiln inside a Java program: a host with no HTTP port, one function deployed from the bundled
 * {@code hello.wasm} (guest-sdks/examples/wat), invoked in-process for each name given.
 *
 * <pre>
 * mvn -q -pl examples/embedded -am package -DskipTests
 * java -jar examples/embedded/target/kiln-embedded-example.jar Ada Grace
 * </pre>
 */
public final class EmbeddedExample {
    private EmbeddedExample() {}

    public static void main(String[] args) throws IOException {
        Path data = Files.createTempDirectory("kiln-embedded-");
        System.exit(run(data, args.length == 0 ? new String[] {"Kiln"} : args, System.out));
    }

    /** Deploys hello and greets each name; the exit code. */
    static int run(Path data, String[] names, PrintStream out) throws IOException {
        try (EmbeddedKiln kiln = EmbeddedKiln.builder(data).start()) {
            EmbeddedKiln.Deployed hello =
                    kiln.deploy("demo", "hello", bundled("hello.wasm"), Map.of("timeoutMs", 1000));
            out.println("deployed demo/hello version " + hello.version());
            for (String name : names) {
                EmbeddedKiln.Result r =
                        kiln.invoke("demo", "hello", name.getBytes(StandardCharsets.UTF_8));
                out.printf(
                        "%s  (version %d, %d us, %d fuel, %s start)%n",
                        r.text(), r.version(), r.durationMicros(), r.fuel(), r.start());
            }
            return 0;
        } catch (EmbeddedKilnException e) {
            // The API's code, as an HTTP client would get it: guest_trap, timeout,
            // invalid_module...
            out.println("kiln refused: " + e.getMessage());
            return 1;
        }
    }

    private static byte[] bundled(String name) throws IOException {
        try (InputStream in = EmbeddedExample.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException(name + " is missing from the example's jar");
            }
            return in.readAllBytes();
        }
    }
}
