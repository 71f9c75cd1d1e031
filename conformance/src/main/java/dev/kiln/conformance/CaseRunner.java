package dev.kiln.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Runs one case in a service of its own (so cases never share state), then deletes what it created.
 */
final class CaseRunner {
    static final String FUNCTION = "fn";

    private final KilnClient client;

    CaseRunner(KilnClient client) {
        this.client = client;
    }

    CaseResult run(ConformanceCase c) {
        long start = System.nanoTime();
        String service = serviceFor(c.name());
        try {
            String failure = runSteps(c, service);
            long ms = (System.nanoTime() - start) / 1_000_000;
            return failure == null
                    ? new CaseResult(c.name(), CaseResult.Status.PASS, ms, "")
                    : new CaseResult(c.name(), CaseResult.Status.FAIL, ms, failure);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return new CaseResult(
                    c.name(),
                    CaseResult.Status.FAIL,
                    (System.nanoTime() - start) / 1_000_000,
                    "error: " + e);
        } finally {
            try {
                client.send(
                        "DELETE",
                        KilnClient.functionPath(service, FUNCTION),
                        Map.of(),
                        new byte[0],
                        true);
            } catch (Exception e) {
                // Best effort: the service name is unique, a leftover harms no other case.
            }
        }
    }

    private String runSteps(ConformanceCase c, String service) throws Exception {
        String fnPath = KilnClient.functionPath(service, FUNCTION);
        var deployed =
                c.manifest() == null
                        ? client.send(
                                "PUT",
                                fnPath,
                                Map.of("Content-Type", "application/wasm"),
                                c.module(),
                                true)
                        : client.send(
                                "PUT",
                                fnPath,
                                Map.of("Content-Type", "application/zip"),
                                zip(c.manifest(), c.module()),
                                true);
        if (c.deploy() != null) {
            String f = check("upload", deployed, c.deploy());
            if (f != null) {
                return f;
            }
        } else if (deployed.statusCode() != 201) {
            return "upload answered " + deployed.statusCode() + ": " + text(deployed);
        }
        if (c.settings() != null) {
            var patched =
                    client.send(
                            "PATCH",
                            fnPath,
                            Map.of("Content-Type", "application/json"),
                            CaseLoader.JSON.writeValueAsBytes(c.settings()),
                            true);
            if (patched.statusCode() != 200) {
                return "function.json was refused: " + text(patched);
            }
        }
        int i = 0;
        for (Step step : c.steps()) {
            i++;
            String path =
                    switch (step.kind()) {
                        case "invoke" -> fnPath + "/invoke";
                        case "http" -> "/fn/" + service + "/" + FUNCTION + step.path();
                        default ->
                                step.path()
                                        .replace("{service}", service)
                                        .replace("{function}", FUNCTION);
                    };
            boolean auth = step.auth() && !step.kind().equals("http");
            for (int r = 0; r < step.repeat(); r++) {
                String what = "request " + i + (step.repeat() > 1 ? " #" + (r + 1) : "");
                long until = System.nanoTime() + step.retryForMs() * 1_000_000L;
                var response = client.send(step.method(), path, step.headers(), step.body(), auth);
                String f = check(what, response, step.expect());
                while (f != null && System.nanoTime() < until) {
                    Thread.sleep(50);
                    response = client.send(step.method(), path, step.headers(), step.body(), auth);
                    f = check(what, response, step.expect());
                }
                if (f != null) {
                    return f;
                }
            }
        }
        return null;
    }

    /**
     * A zip upload: {@code kiln.json} (the case's manifest naming {@code module.wasm}) and the
     * module, for settings the upload itself depends on, such as {@code abi}.
     */
    static byte[] zip(JsonNode manifest, byte[] module) throws java.io.IOException {
        var withModule = ((ObjectNode) manifest.deepCopy()).put("module", "module.wasm");
        var out = new ByteArrayOutputStream();
        try (var zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("kiln.json"));
            zip.write(CaseLoader.JSON.writeValueAsBytes(withModule));
            zip.putNextEntry(new ZipEntry("module.wasm"));
            zip.write(module);
            zip.closeEntry();
        }
        return out.toByteArray();
    }

    /** Null when {@code response} meets {@code e}, else what differed. */
    static String check(String what, HttpResponse<byte[]> response, Expectation e) {
        if (e.status() != null && response.statusCode() != e.status()) {
            return what
                    + ": status "
                    + response.statusCode()
                    + ", expected "
                    + e.status()
                    + "; body: "
                    + text(response);
        }
        if (e.error() != null) {
            String code = errorCode(response);
            if (!e.error().equals(code)) {
                return what
                        + ": error code "
                        + code
                        + ", expected "
                        + e.error()
                        + "; body: "
                        + text(response);
            }
        }
        for (var h : e.headers().entrySet()) {
            var actual = response.headers().allValues(h.getKey());
            boolean ok =
                    switch (h.getValue()) {
                        case "*" -> !actual.isEmpty();
                        case "!" -> actual.isEmpty();
                        default -> String.join("\n", actual).equals(h.getValue());
                    };
            if (!ok) {
                return what
                        + ": header "
                        + h.getKey()
                        + " is "
                        + actual
                        + ", expected "
                        + h.getValue();
            }
        }
        if (e.body() != null && !Arrays.equals(e.body(), response.body())) {
            return what + ": body " + preview(response.body()) + ", expected " + preview(e.body());
        }
        // The whole body: text() is a preview cut at 200 characters.
        String body = new String(response.body(), StandardCharsets.UTF_8);
        for (String part : e.bodyContains()) {
            if (!body.contains(part)) {
                return what + ": body " + preview(response.body()) + " lacks " + part;
            }
        }
        if (e.json() != null) {
            try {
                String diff = subset("", e.json(), CaseLoader.JSON.readTree(response.body()));
                if (diff != null) {
                    return what + ": JSON " + diff;
                }
            } catch (java.io.IOException x) {
                return what + ": body is not JSON: " + preview(response.body());
            }
        }
        if (e.fuel() != null) {
            String fuel = response.headers().firstValue("X-Kiln-Fuel").orElse("");
            if (!fuel.equals(String.valueOf(e.fuel()))) {
                return what + ": X-Kiln-Fuel " + fuel + ", expected " + e.fuel();
            }
        }
        return null;
    }

    private static String subset(String at, JsonNode expected, JsonNode actual) {
        if (expected.isObject()) {
            if (actual == null || !actual.isObject()) {
                return at + " is not an object";
            }
            for (Iterator<String> it = expected.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                String d = subset(at + "." + k, expected.get(k), actual.get(k));
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        return expected.equals(actual) ? null : at + " is " + actual + ", expected " + expected;
    }

    private static String errorCode(HttpResponse<byte[]> response) {
        try {
            return CaseLoader.JSON
                    .readTree(response.body())
                    .path("error")
                    .path("code")
                    .asText(null);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static String text(HttpResponse<byte[]> r) {
        return preview(r.body());
    }

    private static String preview(byte[] body) {
        String s = new String(body, StandardCharsets.UTF_8);
        return s.length() > 200 ? s.substring(0, 200) + "…(" + body.length + " bytes)" : s;
    }

    /** A service name of its own per case and run: {@code cf-<case hash>-<random>}. */
    static String serviceFor(String caseName) {
        byte[] rnd = new byte[3];
        ThreadLocalRandom.current().nextBytes(rnd);
        return "cf-"
                + Integer.toHexString(caseName.hashCode() & 0x7fffffff)
                + "-"
                + HexFormat.of().formatHex(rnd);
    }
}
