package dev.kiln.perf;

import com.dylibso.chicory.wabt.Wat2Wasm;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The WAT modules the benchmarks and probes ship as resources, as text or compiled to Wasm. */
public final class WatResources {
    private WatResources() {}

    /**
     * Writes resource {@code args[0]} compiled to Wasm to file {@code args[1]}: the scripts under
     * perf/ deploy the benchmarks' own guests without needing wabt installed.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: WatResources <resource, e.g. /peers/echo.wat> <out.wasm>");
            System.exit(2);
        }
        Files.write(Path.of(args[1]), wasm(args[0]));
    }

    /** The text of resource {@code name}, e.g. {@code /peers/echo.wat}. */
    static String text(String name) {
        try (InputStream in = WatResources.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Resource {@code name} compiled from WAT to a Wasm module. */
    static byte[] wasm(String name) {
        return Wat2Wasm.parse(text(name));
    }
}
