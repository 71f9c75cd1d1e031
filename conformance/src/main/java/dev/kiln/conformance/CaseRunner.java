package dev.kiln.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs one case in a service of its own (so cases never share state), then deletes what it created.
 */
final class CaseRunner {
    static final String FUNCTION = "fn";

    private final KilnClient client;
    private final TargetInfo target;
    private final String origin;

    CaseRunner(KilnClient client, TargetInfo target) {
        this(client, target, null);
    }

    /**
     * @param origin the URL of the runner's loopback server ({@code {origin}} in cases), or null
     */
    CaseRunner(KilnClient client, TargetInfo target, String origin) {
        this.client = client;
        this.target = target;
        this.origin = origin;
    }

    CaseResult run(ConformanceCase c) {
        long start = System.nanoTime();
        if (c.skip() != null) {
            return new CaseResult(c.name(), CaseResult.Status.SKIP, 0, c.skip());
        }
        String lacking = target.missing(c.requires());
        if (lacking != null) {
            return new CaseResult(
                    c.name(), CaseResult.Status.SKIP, 0, "target lacks feature " + lacking);
        }
        var ctx = new CaseContext(c, target, serviceFor(c.name()), FUNCTION);
        if (origin != null) {
            ctx.set("origin", origin);
        }
        try {
            String failure = runSteps(c, ctx);
            return failure == null
                    ? new CaseResult(c.name(), CaseResult.Status.PASS, millisSince(start), "")
                    : new CaseResult(c.name(), CaseResult.Status.FAIL, millisSince(start), failure);
        } catch (CaseSkipped e) {
            return new CaseResult(
                    c.name(), CaseResult.Status.SKIP, millisSince(start), e.getMessage());
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return new CaseResult(
                    c.name(), CaseResult.Status.FAIL, millisSince(start), "error: " + e);
        } finally {
            try {
                client.send(
                        "DELETE",
                        KilnClient.functionPath(ctx.service(), FUNCTION),
                        Map.of(),
                        new byte[0],
                        true);
            } catch (Exception e) {
                // Best effort: the service name is unique, a leftover harms no other case.
            }
            if (createsKeys(c)) {
                deleteKeysOf(ctx.service());
            }
            if (createsRoutes(c)) {
                deleteRoutesOf(ctx.service());
            }
        }
    }

    /** Whether a step creates API keys; a case names them after its service ({service}-...). */
    private static boolean createsKeys(ConformanceCase c) {
        return c.steps().stream()
                .anyMatch(s -> s.method().equals("POST") && s.path().equals("/api/v1/keys"));
    }

    /** Revokes the keys a case created (those named after its service), even when it failed. */
    private void deleteKeysOf(String service) {
        try {
            var r = client.send("GET", "/api/v1/keys", Map.of(), new byte[0], true);
            for (JsonNode k : CaseLoader.JSON.readTree(r.body()).path("keys")) {
                String name = k.path("name").asText();
                if (name.equals(service) || name.startsWith(service + "-")) {
                    client.send(
                            "DELETE",
                            "/api/v1/keys/" + k.path("id").asText(),
                            Map.of(),
                            new byte[0],
                            true);
                }
            }
        } catch (Exception e) {
            // Best effort, like the function: a leftover key reaches only this case's service.
        }
    }

    /** Whether a step puts a custom-domain route; a case names them {service} or {service}-... */
    private static boolean createsRoutes(ConformanceCase c) {
        return c.steps().stream()
                .anyMatch(s -> s.method().equals("PUT") && s.path().startsWith("/api/v1/routes/"));
    }

    /** Deletes the routes a case created (ids named after its service), even when it failed. */
    private void deleteRoutesOf(String service) {
        try {
            var r = client.send("GET", "/api/v1/routes", Map.of(), new byte[0], true);
            for (JsonNode route : CaseLoader.JSON.readTree(r.body()).path("routes")) {
                String id = route.path("id").asText();
                if (id.equals(service) || id.startsWith(service + "-")) {
                    client.send("DELETE", "/api/v1/routes/" + id, Map.of(), new byte[0], true);
                }
            }
        } catch (Exception e) {
            // Best effort: a leftover route names only this case's own hosts.
        }
    }

    private String runSteps(ConformanceCase c, CaseContext ctx) throws Exception {
        var check = new ResponseCheck(ctx);
        String fnPath = KilnClient.functionPath(ctx.service(), FUNCTION);
        if (c.deploys()) {
            JsonNode upload = c.upload() != null ? c.upload() : CaseLoader.JSON.createObjectNode();
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put(
                    "Content-Type",
                    CaseContext.isZip(upload) ? "application/zip" : "application/wasm");
            upload.path("headers")
                    .properties()
                    .forEach(h -> headers.put(h.getKey(), h.getValue().asText()));
            headers.values().removeIf(String::isEmpty); // "" drops a default header
            byte[] body =
                    CaseLoader.REQUEST_BODY_FORMS.stream().anyMatch(upload::has)
                            ? ctx.body(upload)
                            : ctx.caseModule();
            var deployed = client.send("PUT", fnPath, headers, body, true);
            if (c.deploy() != null) {
                String f = check.check("upload", deployed, c.deploy(), new HashMap<>());
                if (f != null) {
                    return f;
                }
            } else if (deployed.statusCode() != 201) {
                return "upload answered "
                        + deployed.statusCode()
                        + ": "
                        + ResponseCheck.preview(deployed.body());
            }
            if (c.settings() != null && deployed.statusCode() / 100 == 2) {
                var patched =
                        client.send(
                                "PATCH",
                                fnPath,
                                Map.of("Content-Type", "application/json"),
                                ctx.substitute(CaseLoader.JSON.writeValueAsString(c.settings()))
                                        .getBytes(java.nio.charset.StandardCharsets.UTF_8),
                                true);
                if (patched.statusCode() != 200) {
                    return "function.json was refused: " + ResponseCheck.preview(patched.body());
                }
            }
        }
        int i = 0;
        for (Step step : c.steps()) {
            i++;
            String f = runStep("request " + i, step, ctx, check);
            if (f != null) {
                return f;
            }
        }
        return null;
    }

    private String runStep(String what, Step step, CaseContext ctx, ResponseCheck check)
            throws Exception {
        String path =
                switch (step.kind()) {
                    case "invoke" -> KilnClient.functionPath(ctx.service(), FUNCTION) + "/invoke";
                    case "http" ->
                            "/fn/" + ctx.service() + "/" + FUNCTION + ctx.substitute(step.path());
                    default -> ctx.substitute(step.path());
                };
        boolean auth = step.auth() && !step.kind().equals("http");
        Map<String, String> headers = new LinkedHashMap<>();
        step.headers().forEach((k, v) -> headers.put(k, ctx.substitute(v)));
        byte[] body = ctx.body(step.body());
        Map<String, String> same = new HashMap<>();
        if (step.concurrent() > 1) {
            return runConcurrent(what, step, path, headers, body, auth, check, same);
        }
        for (int r = 0; r < step.repeat(); r++) {
            String label = what + (step.repeat() > 1 ? " #" + (r + 1) : "");
            long deadline = System.nanoTime() + step.retryMs() * 1_000_000;
            while (true) {
                var response =
                        step.host() != null
                                ? client.sendToHost(
                                        step.method(),
                                        path,
                                        ctx.substitute(step.host()),
                                        headers,
                                        body,
                                        auth)
                                : step.framing().isEmpty()
                                        ? client.send(
                                                step.method(),
                                                path,
                                                headers,
                                                body,
                                                auth,
                                                step.chunked())
                                        : client.sendFramed(
                                                step.method(),
                                                path,
                                                headers,
                                                body,
                                                auth,
                                                step.framing());
                // Captured first, so the same answer's expectations may refer to the values.
                String f = capture(label, step, response, ctx);
                if (f == null) {
                    f = check.check(label, response, step.expect().get(0), same);
                }
                if (f == null) {
                    break;
                }
                if (System.nanoTime() >= deadline) {
                    return f;
                }
                Thread.sleep(50);
            }
        }
        return null;
    }

    /** Sends {@code concurrent} copies at once; each answer must match some alternative. */
    private String runConcurrent(
            String what,
            Step step,
            String path,
            Map<String, String> headers,
            byte[] body,
            boolean auth,
            ResponseCheck check,
            Map<String, String> same)
            throws Exception {
        List<CompletableFuture<HttpResponse<byte[]>>> futures = new ArrayList<>();
        for (int n = 0; n < step.concurrent(); n++) {
            futures.add(client.sendAsync(step.method(), path, headers, body, auth, step.chunked()));
        }
        int[] matched = new int[step.expect().size()];
        List<String> misses = new ArrayList<>();
        for (var f : futures) {
            HttpResponse<byte[]> response;
            try {
                response = f.get();
            } catch (ExecutionException e) {
                throw new IOException(e.getCause());
            }
            boolean any = false;
            List<String> diffs = new ArrayList<>();
            for (int a = 0; a < matched.length; a++) {
                String d =
                        check.check(
                                what + " (alternative " + (a + 1) + ")",
                                response,
                                step.expect().get(a),
                                same);
                if (d == null) {
                    matched[a]++;
                    any = true;
                    break;
                }
                diffs.add(d);
            }
            if (!any) {
                misses.add(String.join("; ", diffs));
            }
        }
        if (!misses.isEmpty()) {
            return what + ": an answer matched no alternative: " + misses.get(0);
        }
        for (int a = 0; a < matched.length; a++) {
            int need = step.expect().get(a).atLeast();
            if (matched[a] < need) {
                return what
                        + ": alternative "
                        + (a + 1)
                        + " matched "
                        + matched[a]
                        + " answers, expected at least "
                        + need;
            }
        }
        return null;
    }

    /** Sets the step's captured variables from {@code response}; null, or what was missing. */
    private static String capture(
            String what, Step step, HttpResponse<byte[]> response, CaseContext ctx) {
        for (var e : step.capture().entrySet()) {
            String source = e.getValue();
            String value = null;
            if (source.startsWith("header:")) {
                value = response.headers().firstValue(source.substring(7)).orElse(null);
            } else {
                try {
                    JsonNode n = CaseLoader.JSON.readTree(response.body()).at(source.substring(5));
                    value = n.isMissingNode() || n.isNull() ? null : n.asText();
                } catch (IOException x) {
                    // Not JSON: nothing to capture.
                }
            }
            if (value == null) {
                return what
                        + ": nothing to capture at "
                        + source
                        + "; status "
                        + response.statusCode()
                        + ", body "
                        + ResponseCheck.preview(response.body());
            }
            ctx.set(e.getKey(), value);
        }
        return null;
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
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
