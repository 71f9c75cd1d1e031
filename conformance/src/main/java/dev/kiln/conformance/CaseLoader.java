package dev.kiln.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads case folders: a module file, {@code function.json}, {@code kiln.json} and {@code
 * case.json}. Unknown fields are errors, so a typo in a case fails loudly instead of silently
 * testing less.
 */
final class CaseLoader {
    static final ObjectMapper JSON = new ObjectMapper();

    static final Set<String> REQUEST_BODY_FORMS =
            Set.of("body", "bodyBase64", "bodyHex", "bodyRepeat", "bodyJson", "module", "zip");
    static final Set<String> EXPECT_BODY_FORMS =
            Set.of("body", "bodyBase64", "bodyHex", "bodyRepeat");

    private static final Set<String> CASE_FIELDS =
            Set.of(
                    "comment",
                    "skip",
                    "requires",
                    "module",
                    "upload",
                    "deploy",
                    "requests",
                    "exclusive");
    private static final Set<String> STEP_FIELDS =
            union(
                    REQUEST_BODY_FORMS,
                    Set.of(
                            "comment",
                            "kind",
                            "method",
                            "path",
                            "headers",
                            "auth",
                            "repeat",
                            "concurrent",
                            "retryMs",
                            "capture",
                            "chunked",
                            "expect",
                            "framing",
                            "host"));
    private static final Set<String> UPLOAD_FIELDS =
            union(REQUEST_BODY_FORMS, Set.of("comment", "headers"));
    private static final Set<String> EXPECT_FIELDS =
            union(
                    EXPECT_BODY_FORMS,
                    Set.of(
                            "comment",
                            "status",
                            "error",
                            "headers",
                            "bodyLength",
                            "bodyContains",
                            "bodyMatches",
                            "json",
                            "fuel",
                            "unique",
                            "same",
                            "atLeast"));

    private CaseLoader() {}

    /**
     * Every folder below {@code root} that holds a {@code case.json}, sorted by name. Folders whose
     * name starts with {@code _} hold shared files, not cases.
     */
    static List<ConformanceCase> loadAll(Path root) throws IOException {
        List<ConformanceCase> cases = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file :
                    files.filter(p -> p.getFileName().toString().equals("case.json"))
                            .sorted()
                            .toList()) {
                Path dir = file.getParent();
                String name = root.relativize(dir).toString().replace('\\', '/');
                if (name.startsWith("_") || name.contains("/_")) {
                    continue;
                }
                try {
                    cases.add(load(name, dir, root));
                } catch (RuntimeException e) {
                    throw new IOException("case " + name + ": " + e.getMessage(), e);
                }
            }
        }
        return cases;
    }

    static ConformanceCase load(String name, Path dir, Path root) throws IOException {
        JsonNode spec = JSON.readTree(Files.readAllBytes(dir.resolve("case.json")));
        known(spec, CASE_FIELDS, "case.json");
        Path settingsFile = dir.resolve("function.json");
        JsonNode settings =
                Files.exists(settingsFile) ? JSON.readTree(Files.readAllBytes(settingsFile)) : null;
        List<Step> steps = new ArrayList<>();
        for (JsonNode s : spec.path("requests")) {
            steps.add(step(s));
        }
        Path module =
                spec.has("module")
                        ? ModuleFiles.resolve(spec.get("module").asText(), dir, root)
                        : ModuleFiles.find(dir);
        JsonNode upload = spec.get("upload");
        if (upload != null) {
            known(upload, UPLOAD_FIELDS, "upload");
        } else if (Files.exists(dir.resolve("kiln.json"))) {
            upload = manifestZip(JSON.readTree(Files.readAllBytes(dir.resolve("kiln.json"))));
        }
        List<String> requires = new ArrayList<>();
        for (JsonNode r : spec.path("requires")) {
            if (!TargetInfo.KNOWN_FEATURE.matcher(r.asText()).matches()) {
                throw new IllegalArgumentException("unknown feature '" + r.asText() + "'");
            }
            requires.add(r.asText());
        }
        Expectation deploy = spec.has("deploy") ? expectation(spec.get("deploy")) : null;
        String skip = spec.has("skip") ? spec.get("skip").asText() : null;
        return new ConformanceCase(
                name,
                dir,
                root,
                module,
                upload,
                settings,
                deploy,
                steps,
                skip,
                requires,
                spec.path("exclusive").asBoolean(false));
    }

    /**
     * The upload for a folder with a {@code kiln.json}: a zip of that manifest (naming {@code
     * module.wasm}) and the case's module, for settings the upload itself depends on, such as
     * {@code abi}.
     */
    private static JsonNode manifestZip(JsonNode manifest) {
        ObjectNode withModule = ((ObjectNode) manifest.deepCopy()).put("module", "module.wasm");
        ObjectNode upload = JSON.createObjectNode();
        ArrayNode zip = upload.putArray("zip");
        zip.addObject().put("name", "kiln.json").set("json", withModule);
        zip.addObject().put("name", "module.wasm").put("module", true);
        return upload;
    }

    private static Step step(JsonNode s) {
        known(s, STEP_FIELDS, "request");
        String kind = s.path("kind").asText("invoke");
        if (!List.of("invoke", "http", "api").contains(kind)) {
            throw new IllegalArgumentException("unknown request kind " + kind);
        }
        JsonNode e = s.path("expect");
        List<Expectation> expect = new ArrayList<>();
        if (e.isArray()) {
            for (JsonNode alt : e) {
                expect.add(expectation(alt));
            }
        } else {
            expect.add(expectation(e));
        }
        int concurrent = Math.max(1, s.path("concurrent").asInt(1));
        if (s.hasNonNull("host")
                && (concurrent > 1 || s.has("framing") || s.path("chunked").asBoolean(false))) {
            throw new IllegalArgumentException(
                    "\"host\" goes with neither \"concurrent\", \"framing\" nor \"chunked\"");
        }
        if (expect.size() > 1 && concurrent == 1) {
            throw new IllegalArgumentException("several expectations need \"concurrent\"");
        }
        for (String source : strings(s.path("capture")).values()) {
            if (!source.startsWith("header:") && !source.startsWith("json:")) {
                throw new IllegalArgumentException(
                        "capture source must be header:<name> or json:<pointer>, not " + source);
            }
        }
        return new Step(
                kind,
                s.path("method").asText(kind.equals("invoke") ? "POST" : "GET"),
                s.path("path").asText(kind.equals("http") ? "/" : ""),
                strings(s.path("headers")),
                s,
                s.path("auth").asBoolean(true),
                Math.max(1, s.path("repeat").asInt(1)),
                concurrent,
                s.path("retryMs").asLong(0),
                s.path("chunked").asBoolean(false),
                strings(s.path("capture")),
                expect,
                texts(s.path("framing")),
                s.hasNonNull("host") ? s.get("host").asText() : null);
    }

    private static Expectation expectation(JsonNode e) {
        if (e.isMissingNode()) {
            e = JSON.createObjectNode();
        }
        known(e, EXPECT_FIELDS, "expect");
        boolean hasBody = EXPECT_BODY_FORMS.stream().anyMatch(e::has);
        return new Expectation(
                e.has("status") ? e.get("status").asInt() : null,
                e.has("error") ? e.get("error").asText() : null,
                strings(e.path("headers")),
                hasBody ? e : null,
                e.get("bodyLength"),
                texts(e.path("bodyContains")),
                e.has("bodyMatches") ? e.get("bodyMatches").asText() : null,
                e.get("json"),
                e.has("fuel") ? e.get("fuel").asLong() : null,
                texts(e.path("unique")),
                texts(e.path("same")),
                e.path("atLeast").asInt(0));
    }

    private static List<String> texts(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node.isTextual()) {
            out.add(node.asText());
        }
        if (node.isArray()) {
            node.forEach(x -> out.add(x.asText()));
        }
        return out;
    }

    private static Map<String, String> strings(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            out.put(k, node.get(k).asText());
        }
        return out;
    }

    private static void known(JsonNode node, Set<String> fields, String where) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + " must be a JSON object");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!fields.contains(f)) {
                throw new IllegalArgumentException(where + ": unknown field '" + f + "'");
            }
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        var s = new java.util.HashSet<>(a);
        s.addAll(b);
        return Set.copyOf(s);
    }
}
