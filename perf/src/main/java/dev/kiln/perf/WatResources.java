package dev.kiln.perf;

import com.dylibso.chicory.wabt.Wat2Wasm;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The WAT modules the benchmarks and probes ship as resources, as text or compiled to Wasm. */
final class WatResources {
    private WatResources() {}

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
