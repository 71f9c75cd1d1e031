package dev.kiln.host.testing;

import com.dylibso.chicory.wabt.Wat2Wasm;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Compiles WAT test fixtures to Wasm with Chicory's pure-Java wat2wasm (no native toolchain). */
public final class Wat {
    private static final Map<String, byte[]> CACHE = new ConcurrentHashMap<>();

    private Wat() {}

    public static byte[] compile(String wat) {
        return CACHE.computeIfAbsent(wat, Wat2Wasm::parse).clone();
    }

    /** Compiles {@code src/test/resources/wat/<name>.wat}. */
    public static byte[] fixture(String name) {
        String path = "/wat/" + name + ".wat";
        try (InputStream in = Wat.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + path);
            }
            return compile(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
