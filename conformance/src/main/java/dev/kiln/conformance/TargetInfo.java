package dev.kiln.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the runner learned about the target before running cases: its published limits ({@code GET
 * /api/v1/limits}) and the features cases may require.
 *
 * @param limits the limits document, or null when the target does not publish one
 * @param features {@code limits} when published, {@code abi:<name>} for each ABI it accepts, and
 *     {@code keys} when it has API keys (its limits include {@code access})
 */
record TargetInfo(JsonNode limits, Set<String> features) {
    /** Feature names a case may list in {@code requires}. */
    static final Pattern KNOWN_FEATURE =
            Pattern.compile("limits|keys|routes|kv|replay|outbound|abi:[a-z0-9-]+");

    private static final Pattern QUANTITY =
            Pattern.compile("\\$([A-Za-z][A-Za-z0-9.]*)\\s*(?:([+-])\\s*(\\d+))?");

    static TargetInfo probe(KilnClient client)
            throws IOException, InterruptedException, RunnerException.TargetUnavailable {
        var r = client.send("GET", "/api/v1/limits", Map.of(), new byte[0], true);
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            // Every case would fail on it: say so once instead.
            throw new RunnerException.TargetUnavailable(
                    "the target refused the admin token (HTTP "
                            + r.statusCode()
                            + " on GET /api/v1/limits)",
                    null);
        }
        if (r.statusCode() != 200) {
            // An older host: only the kiln ABI can be assumed.
            return new TargetInfo(null, Set.of("abi:kiln"));
        }
        JsonNode limits = CaseLoader.JSON.readTree(r.body());
        Set<String> features = new LinkedHashSet<>();
        features.add("limits");
        for (JsonNode abi : limits.path("settings").path("abis")) {
            features.add("abi:" + abi.asText());
        }
        if (features.size() == 1) {
            features.add("abi:kiln");
        }
        if (limits.has("access")) {
            features.add("keys"); // API keys with roles (POST /api/v1/keys)
        }
        if (limits.has("routes")) {
            features.add("routes"); // custom-domain routes (PUT /api/v1/routes/{id})
        }
        if (limits.has("kv")) {
            features.add("kv"); // a key-value store per service (kv_* host calls, …/kv/{key})
        }
        if (limits.has("replay")) {
            features.add("replay"); // recorded invocations replayed (…/invocations/{id}/replay)
        }
        if (limits.has("outbound")) {
            // outbound HTTP (http_* host calls); the runner drops it without an origin server
            features.add("outbound");
        }
        return new TargetInfo(limits, Set.copyOf(features));
    }

    boolean has(String feature) {
        return features.contains(feature);
    }

    /** This target without {@code feature}. */
    TargetInfo without(String feature) {
        Set<String> rest = new LinkedHashSet<>(features);
        rest.remove(feature);
        return new TargetInfo(limits, Set.copyOf(rest));
    }

    /** The first of {@code required} the target lacks, or null when it has them all. */
    String missing(List<String> required) {
        for (String f : required) {
            if (!features.contains(f)) {
                return f;
            }
        }
        return null;
    }

    /**
     * A number from case.json: a JSON integer, or {@code "$name"}, {@code "$name+N"}, {@code
     * "$name-N"} naming a field of the limits document (dotted for nested fields, e.g. {@code
     * "$module.maxFunctions+1"}).
     *
     * @throws CaseSkipped when the target publishes no limits
     */
    long quantity(JsonNode value) {
        if (value == null || value.isMissingNode() || value.isNull()) {
            return 0;
        }
        if (value.isIntegralNumber()) {
            return value.asLong();
        }
        Matcher m = QUANTITY.matcher(value.asText().trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "'" + value.asText() + "' is neither an integer nor $limit[+-N]");
        }
        if (limits == null) {
            throw new CaseSkipped("target lacks feature limits (GET /api/v1/limits)");
        }
        JsonNode field = limits;
        for (String part : m.group(1).split("\\.", -1)) {
            field = field.path(part);
        }
        if (!field.isNumber()) {
            throw new CaseSkipped("target does not publish the limit " + m.group(1));
        }
        long n = field.asLong();
        if (m.group(2) != null) {
            long d = Long.parseLong(m.group(3));
            n = m.group(2).equals("+") ? n + d : n - d;
        }
        return n;
    }
}
