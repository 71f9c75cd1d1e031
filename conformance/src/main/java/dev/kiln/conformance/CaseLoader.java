package dev.kiln.conformance;

import com.dylibso.chicory.wabt.Wat2Wasm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads case folders: {@code module.wat} or {@code module.wasm}, {@code function.json}, {@code
 * kiln.json}, {@code case.json}.
 */
final class CaseLoader {
    static final ObjectMapper JSON = new ObjectMapper();

    private CaseLoader() {}

    /** Every folder below {@code root} that holds a {@code case.json}, sorted by name. */
    static List<ConformanceCase> loadAll(Path root) throws IOException {
        List<ConformanceCase> cases = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file :
                    files.filter(p -> p.getFileName().toString().equals("case.json"))
                            .sorted()
                            .toList()) {
                Path dir = file.getParent();
                String name = root.relativize(dir).toString().replace('\\', '/');
                try {
                    cases.add(load(name, dir));
                } catch (RuntimeException e) {
                    throw new IOException("case " + name + ": " + e.getMessage(), e);
                }
            }
        }
        return cases;
    }

    static ConformanceCase load(String name, Path dir) throws IOException {
        JsonNode spec = JSON.readTree(dir.resolve("case.json").toFile());
        Path settingsFile = dir.resolve("function.json");
        JsonNode settings =
                Files.exists(settingsFile) ? JSON.readTree(settingsFile.toFile()) : null;
        List<Step> steps = new ArrayList<>();
        for (JsonNode s : spec.path("requests")) {
            steps.add(step(s));
        }
        Expectation deploy = spec.has("deploy") ? expectation(spec.get("deploy")) : null;
        Path manifestFile = dir.resolve("kiln.json");
        JsonNode manifest =
                Files.exists(manifestFile) ? JSON.readTree(manifestFile.toFile()) : null;
        return new ConformanceCase(name, dir, module(dir), settings, deploy, steps, manifest);
    }

    private static byte[] module(Path dir) throws IOException {
        Path wasm = dir.resolve("module.wasm");
        if (Files.exists(wasm)) {
            return Files.readAllBytes(wasm);
        }
        Path wat = dir.resolve("module.wat");
        if (Files.exists(wat)) {
            return Wat2Wasm.parse(Files.readString(wat, StandardCharsets.UTF_8));
        }
        Path hex = dir.resolve("module.hex");
        if (Files.exists(hex)) {
            // Raw bytes for malformed modules no WAT can express.
            return java.util.HexFormat.of().parseHex(Files.readString(hex).replaceAll("\\s+", ""));
        }
        throw new IllegalArgumentException("needs module.wat, module.wasm or module.hex");
    }

    private static Step step(JsonNode s) {
        String kind = s.path("kind").asText("invoke");
        if (!List.of("invoke", "http", "api").contains(kind)) {
            throw new IllegalArgumentException("unknown request kind " + kind);
        }
        return new Step(
                kind,
                s.path("method").asText(kind.equals("invoke") ? "POST" : "GET"),
                s.path("path").asText(kind.equals("http") ? "/" : ""),
                strings(s.path("headers")),
                bytes(s),
                s.path("auth").asBoolean(true),
                Math.max(1, s.path("repeat").asInt(1)),
                expectation(s.path("expect")),
                Math.max(0, s.path("retryForMs").asInt(0)));
    }

    private static Expectation expectation(JsonNode e) {
        List<String> contains = new ArrayList<>();
        JsonNode c = e.path("bodyContains");
        if (c.isTextual()) {
            contains.add(c.asText());
        }
        for (JsonNode x : c.isArray() ? c : JSON.createArrayNode()) {
            contains.add(x.asText());
        }
        return new Expectation(
                e.has("status") ? e.get("status").asInt() : null,
                e.has("error") ? e.get("error").asText() : null,
                strings(e.path("headers")),
                e.has("body") || e.has("bodyBase64") || e.has("bodyRepeat") ? bytes(e) : null,
                contains,
                e.has("json") ? e.get("json") : null,
                e.has("fuel") ? e.get("fuel").asLong() : null);
    }

    /**
     * {@code body} (UTF-8 text), {@code bodyBase64}, or {@code bodyRepeat: {"text":..,"times":N}}.
     */
    private static byte[] bytes(JsonNode s) {
        if (s.has("bodyBase64")) {
            return Base64.getDecoder().decode(s.get("bodyBase64").asText());
        }
        if (s.has("bodyRepeat")) {
            JsonNode r = s.get("bodyRepeat");
            return r.path("text")
                    .asText()
                    .repeat(r.path("times").asInt())
                    .getBytes(StandardCharsets.UTF_8);
        }
        return s.path("body").asText("").getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, String> strings(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            out.put(k, node.get(k).asText());
        }
        return out;
    }
}
