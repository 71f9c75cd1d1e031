package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.TestHost;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README.md's "## Limits" table and {@code GET /api/v1/limits} of a host with the embedded defaults
 * say the same numbers (issue 14): every row tied to a limits field is listed in {@link #ROWS} with
 * which number of which column is which JSON field, so a default that drifts in the code or in the
 * README fails here. Every numeric field the endpoint publishes is either in {@link #ROWS} or in
 * {@link #NOT_IN_TABLE} with the reason, so a new limit needs a row (or a reason).
 */
class LimitsTableTest {
    static final Path README = Path.of("..", "README.md");

    /** How the endpoint expresses a number; the README's units are normalised to the same base. */
    enum Unit {
        COUNT(1),
        BYTES(1),
        MIB(1L << 20),
        MS(1),
        SECONDS(1000);

        final long base;

        Unit(long base) {
            this.base = base;
        }
    }

    enum Column {
        DEFAULT(1),
        SETTING(2);

        final int index;

        Column(int index) {
            this.index = index;
        }
    }

    /** The {@code number}-th quantity in a row's column is the JSON field at {@code path}. */
    record Field(Column column, int number, String path, Unit unit) {}

    static Field d(int number, String path, Unit unit) {
        return new Field(Column.DEFAULT, number, path, unit);
    }

    static Field s(int number, String path, Unit unit) {
        return new Field(Column.SETTING, number, path, unit);
    }

    /** Rows, by how their "limit" cell starts, and the fields their numbers are. */
    static final Map<String, List<Field>> ROWS = new LinkedHashMap<>();

    static {
        Unit b = Unit.BYTES;
        Unit n = Unit.COUNT;
        ROWS.put("upload size", List.of(d(0, "maxUploadBytes", b)));
        ROWS.put("invocation payload", List.of(d(0, "maxPayloadBytes", b)));
        ROWS.put("`PATCH` body", List.of(d(0, "maxPatchBytes", b)));
        ROWS.put("function result", List.of(d(0, "maxResponseBytes", b)));
        ROWS.put("CPU (fuel", List.of(d(0, "fuelPerMs", n), s(0, "maxFuel", n)));
        ROWS.put("function timeout", List.of(s(0, "maxTimeoutMs", Unit.MS)));
        ROWS.put("linear memory", List.of(s(0, "maxMemoryMiB", n)));
        ROWS.put("call stack", List.of(d(0, "workerStackBytes", b)));
        ROWS.put(
                "invocations of one function running at once",
                List.of(s(0, "settings/maxConcurrency", n)));
        ROWS.put(
                "invocations waiting at one function's limit",
                List.of(d(0, "pools/functionQueue", n)));
        ROWS.put("time an invocation may wait", List.of(d(0, "pools/queueWaitMs", Unit.MS)));
        // "2 × cores (≥ 4) / 1024": the worker count is computed, the queue is not.
        ROWS.put("concurrent invocations / waiting", List.of(d(2, "workerQueue", n)));
        ROWS.put(
                "guest log lines / bytes",
                List.of(d(0, "effects/maxLogLines", n), d(1, "effects/maxLogBytes", b)));
        ROWS.put("host calls per invocation", List.of(d(0, "effects/maxHostCalls", n)));
        ROWS.put(
                "response headers set by a guest",
                List.of(d(0, "effects/maxResponseHeaders", n), d(1, "effects/maxHeaderBytes", b)));
        ROWS.put("`kiln.fail` message", List.of(d(0, "effects/maxFailMessageBytes", b)));
        ROWS.put("`kiln.random_fill` per call", List.of(d(0, "effects/maxRandomBytes", b)));
        ROWS.put("bytes one host call may move", List.of(d(0, "effects/maxHostBytesPerCall", b)));
        ROWS.put(
                "bytes all host calls of one invocation may move",
                List.of(d(0, "effects/maxHostBytesPerInvocation", b)));
        ROWS.put("header name or config key", List.of(d(0, "maxKeyBytes", b)));
        ROWS.put(
                "function settings: `env` keys",
                List.of(
                        d(0, "settings/maxEnvEntries", n),
                        d(1, "settings/maxEnvBytes", b),
                        d(2, "settings/maxDescriptionChars", n),
                        d(3, "settings/maxHandlerChars", n)));
        ROWS.put(
                "invocation records kept",
                List.of(d(0, "recordsPerFunction", n), d(1, "recordMaxAgeSeconds", Unit.SECONDS)));
        ROWS.put("free space kept", List.of(d(0, "minFreeDiskMiB", Unit.MIB)));
        // "50 / 100, at most 200": the defaults per endpoint are not published, the cap is.
        ROWS.put("page size of `…/invocations`", List.of(d(2, "maxPageSize", n)));
        ROWS.put("zip entries", List.of(d(0, "settings/maxZipEntries", n)));
        ROWS.put(
                "module declarations",
                List.of(
                        d(0, "module/maxFunctions", n),
                        d(1, "module/maxInstructions", n),
                        d(2, "module/maxLocalsPerFunction", n),
                        d(3, "module/maxNestingDepth", n),
                        d(4, "module/maxTypes", n),
                        d(5, "module/maxGlobals", n),
                        d(6, "module/maxTables", n),
                        d(7, "module/maxTableElements", n),
                        d(8, "module/maxDataSegments", n),
                        d(9, "module/maxDataBytes", b),
                        d(10, "module/maxExports", n)));
        ROWS.put("code section size", List.of(d(0, "module/maxCodeBytes", b)));
        ROWS.put("table growth", List.of(d(0, "module/maxTableElements", n)));
        ROWS.put(
                "targets of one `br_table`",
                List.of(
                        d(0, "module/maxBrTableTargets", n),
                        d(1, "module/maxBrTableTargetsTotal", n)));
        ROWS.put(
                "values on one function's operand stack",
                List.of(d(0, "module/maxOperandStackDepth", n)));
        ROWS.put("guest instances alive", List.of(d(0, "pools/maxInstances", n)));
        ROWS.put("idle instances beyond", List.of(d(0, "pools/instanceIdleTtlMs", Unit.MS)));
        ROWS.put("asynchronous event payload", List.of(d(0, "events/maxEventBytes", b)));
        ROWS.put("events queued per function", List.of(d(0, "events/maxQueuedEvents", n)));
        ROWS.put(
                "attempts per event",
                List.of(d(0, "events/defaultMaxAttempts", n), s(1, "events/maxAttemptsCap", n)));
        ROWS.put(
                "event age",
                List.of(
                        d(0, "events/defaultMaxEventAgeSeconds", Unit.SECONDS),
                        d(0, "events/maxEventAgeCapSeconds", Unit.SECONDS)));
        ROWS.put(
                "delay between attempts",
                List.of(
                        d(0, "events/retryBaseDelayMs", Unit.MS),
                        d(1, "events/retryMaxDelayMs", Unit.MS)));
        ROWS.put("retry of an event", List.of(d(0, "events/throttleDelayMs", Unit.MS)));
        ROWS.put(
                "triggers per function",
                List.of(
                        d(0, "events/maxTriggersPerFunction", n),
                        d(1, "events/maxSubscribersPerTopic", n)));
        ROWS.put(
                "upload checks at once",
                List.of(d(0, "uploads/maxConcurrentUploads", n), d(1, "uploads/uploadQueue", n)));
        ROWS.put("time an upload's check", List.of(d(0, "uploads/uploadTimeoutMs", Unit.MS)));
        ROWS.put(
                "a request body that stops arriving",
                List.of(d(0, "http/bodyReadTimeoutMs", Unit.MS)));
        ROWS.put("request line and headers", List.of(d(0, "http/requestParseTimeoutMs", Unit.MS)));
        ROWS.put("a connection with no request", List.of(d(0, "http/noRequestTimeoutMs", Unit.MS)));
        ROWS.put("a connection with no byte", List.of(d(0, "http/idleTimeoutMs", Unit.MS)));
        ROWS.put(
                "open client connections",
                List.of(d(0, "http/maxConnections", n), d(1, "http/maxConnectionsPerIp", n)));
        ROWS.put(
                "invalid keys presented",
                List.of(
                        d(0, "access/authFailuresPerIp", n),
                        d(1, "access/authFailureWindowMs", Unit.MS)));
        ROWS.put("API keys stored", List.of(d(0, "access/maxKeys", n)));
        ROWS.put(
                "audit log entries kept",
                List.of(
                        d(0, "access/auditMaxEntries", n),
                        d(1, "access/auditMaxAgeSeconds", Unit.SECONDS)));
        // "1 … 1 000 000 (`maxMemoryMiB` 1 … 2³⁰) / 4 KiB"
        ROWS.put(
                "quota values",
                List.of(
                        d(1, "tenancy/quotaMaxima/maxConcurrency", n),
                        d(1, "tenancy/quotaMaxima/maxFunctions", n),
                        d(1, "tenancy/quotaMaxima/maxInvocationsPerSecond", n),
                        d(3, "tenancy/quotaMaxima/maxMemoryMiB", n),
                        d(4, "tenancy/maxQuotaBodyBytes", b)));
        ROWS.put("client addresses tracked", List.of(d(0, "tenancy/maxTrackedClients", n)));
        ROWS.put(
                "secrets per function",
                List.of(
                        d(0, "tenancy/maxSecretsPerFunction", n),
                        d(1, "tenancy/maxSecretValueBytes", b)));
        ROWS.put("custom-domain routes stored", List.of(d(0, "routes/maxRoutes", n)));
        // "253 characters (labels ≤ 63) / 1024 characters / 4 KiB"
        ROWS.put(
                "route `host`",
                List.of(
                        d(0, "routes/maxHostLength", n),
                        d(2, "routes/maxPathPrefixLength", n),
                        d(3, "routes/maxBodyBytes", b)));
        // "64 / 4 KiB, description ≤ 256 characters"
        ROWS.put(
                "aliases per function",
                List.of(
                        d(0, "releases/maxAliasesPerFunction", n),
                        d(1, "releases/maxAliasBodyBytes", b)));
        ROWS.put("keys in one service's key-value store", List.of(d(0, "kv/maxKeysPerService", n)));
        ROWS.put(
                "bytes (keys and values) in one service's key-value store",
                List.of(d(0, "kv/maxBytesPerService", b)));
        // "256 bytes / 1 MiB"
        ROWS.put(
                "key-value key / value",
                List.of(d(0, "kv/maxKeyBytes", b), d(1, "kv/maxValueBytes", b)));
        // "100 / 100, at most 1000"
        ROWS.put(
                "keys per `kv_list` page / admin list page",
                List.of(d(0, "kv/listPageKeys", n), d(2, "kv/maxListLimit", n)));
        ROWS.put("recordings kept for replay", List.of(d(0, "replay/recordingsPerFunction", n)));
        ROWS.put("one recording", List.of(d(0, "replay/maxRecordingBytes", b)));
        ROWS.put("replays running at once", List.of(d(0, "replay/maxConcurrentReplays", n)));
        // docs/adr/0043: statistics, usage, log streams
        ROWS.put(
                "function statistics kept",
                List.of(d(0, "metering/statsRetentionSeconds", Unit.SECONDS)));
        ROWS.put("usage kept", List.of(d(0, "metering/usageRetentionSeconds", Unit.SECONDS)));
        ROWS.put("log streams (", List.of(d(0, "metering/maxLogFollowers", n)));
        ROWS.put(
                "log stream heartbeat",
                List.of(
                        d(0, "metering/logHeartbeatMs", Unit.MS),
                        d(1, "metering/logFollowMaxPending", n)));
        ROWS.put(
                "points of one `…/stats` answer",
                List.of(
                        d(0, "metering/maxStatsPoints", n),
                        d(1, "metering/maxOpenStatsWindows", n)));
        ROWS.put(
                "time buckets / rows of one `/api/v1/usage` answer",
                List.of(d(0, "metering/maxUsageBuckets", n), d(1, "metering/maxUsageRows", n)));
        ROWS.put(
                "outbound HTTP requests per invocation",
                List.of(d(0, "outbound/maxRequestsPerInvocation", n)));
        ROWS.put("outbound request body", List.of(d(0, "outbound/maxRequestBodyBytes", b)));
        ROWS.put(
                "outbound response bytes per invocation",
                List.of(d(0, "outbound/maxResponseBytesPerInvocation", b)));
        ROWS.put("time of one outbound request", List.of(d(0, "outbound/callTimeoutMs", Unit.MS)));
        // "8 KiB / 100 / 64 KiB"
        ROWS.put(
                "outbound URL / request header fields",
                List.of(
                        d(0, "outbound/maxUrlBytes", b),
                        d(1, "outbound/maxRequestHeaders", n),
                        d(2, "outbound/maxRequestHeaderBytes", b)));
        // "100 / 64 KiB"
        ROWS.put(
                "outbound response header fields",
                List.of(
                        d(0, "outbound/maxResponseHeaders", n),
                        d(1, "outbound/maxResponseHeaderBytes", b)));
        ROWS.put(
                "`allowedOutboundHosts` entries per function",
                List.of(d(0, "outbound/maxAllowedHostsEntries", n)));
        // "64, each 30 s"
        ROWS.put(
                "idle outbound connections kept",
                List.of(
                        d(0, "outbound/maxIdleConnections", n),
                        d(1, "outbound/idleConnectionTtlMs", Unit.MS)));
    }

    /** Numeric fields of the endpoint without a number in the table, and why. */
    static final Map<String, String> NOT_IN_TABLE =
            Map.of(
                    "workerThreads", "computed from the cores: the table says 2 × cores (≥ 4)",
                    "events/asyncWorkers", "computed from the cores: the table says cores (≥ 2)",
                    "pools/minInstancesBudget", "derived: --max-instances − --workers",
                    "pools/memoryBudgetBytes", "computed from the heap: the table says 55 %",
                    "http/maxBufferedRequestBytes",
                            "computed from the heap: the table says a quarter of it, 64 to 256 MiB",
                    "tenancy/triggerRatePerIp", "0, which the table says as \"no limit\"",
                    "releases/keepVersions", "0, which the table says as \"all\"");

    @Test
    void everyDefaultInTheReadmeTableIsWhatTheHostPublishes(@TempDir Path data) throws IOException {
        Map<String, List<String>> table = limitsTable();
        JsonNode limits;
        try (TestHost kiln = TestHost.start(data)) {
            var r = kiln.get("/api/v1/limits");
            assertThat(r.statusCode()).isEqualTo(200);
            limits = json(r);
        }

        List<String> drift = new ArrayList<>();
        int compared = 0;
        for (var row : ROWS.entrySet()) {
            List<String> cells = rowStartingWith(table, row.getKey());
            for (Field f : row.getValue()) {
                List<BigInteger> numbers = quantities(cells.get(f.column().index));
                String where = row.getKey() + " [" + f.column() + " #" + f.number() + "]";
                assertThat(numbers).as(where).hasSizeGreaterThan(f.number());
                JsonNode value = limits.at("/" + f.path());
                assertThat(value.isNumber())
                        .as("%s is a number in /api/v1/limits", f.path())
                        .isTrue();
                BigInteger inReadme = numbers.get(f.number());
                BigInteger published =
                        value.bigIntegerValue().multiply(BigInteger.valueOf(f.unit().base));
                compared++;
                if (!inReadme.equals(published)) {
                    drift.add(
                            where
                                    + ": README says "
                                    + inReadme
                                    + ", "
                                    + f.path()
                                    + " is "
                                    + published);
                }
            }
        }
        assertThat(drift).isEmpty();
        assertThat(compared).isEqualTo(ROWS.values().stream().mapToInt(List::size).sum());
    }

    @Test
    void everyPublishedNumberHasARowOrAReason(@TempDir Path data) {
        JsonNode limits;
        try (TestHost kiln = TestHost.start(data)) {
            limits = json(kiln.get("/api/v1/limits"));
        }
        Set<String> numeric = new TreeSet<>();
        collectNumbers(limits, "", numeric);
        Set<String> accounted = new TreeSet<>(NOT_IN_TABLE.keySet());
        ROWS.values().forEach(fields -> fields.forEach(f -> accounted.add(f.path())));
        assertThat(accounted).containsAll(numeric);
        assertThat(numeric).containsAll(accounted);
    }

    @Test
    void readsTheReadmeNotationAsNumbers() {
        assertThat(quantities("32 MiB")).containsExactly(BigInteger.valueOf(32L << 20));
        assertThat(quantities("10 000 / 1 000"))
                .containsExactly(BigInteger.valueOf(10_000), BigInteger.valueOf(1_000));
        assertThat(quantities("100k / 4M / 32 MiB"))
                .containsExactly(
                        BigInteger.valueOf(100_000),
                        BigInteger.valueOf(4_000_000),
                        BigInteger.valueOf(32L << 20));
        assertThat(quantities("(10¹²) 2³⁰"))
                .containsExactly(BigInteger.TEN.pow(12), BigInteger.TWO.pow(30));
        assertThat(quantities("1 s doubling to 5 min, 6 h, 90 days, 200 ms"))
                .containsExactly(
                        BigInteger.valueOf(1000),
                        BigInteger.valueOf(300_000),
                        BigInteger.valueOf(21_600_000),
                        BigInteger.valueOf(7_776_000_000L),
                        BigInteger.valueOf(200));
    }

    private static void collectNumbers(JsonNode node, String path, Set<String> into) {
        if (node.isNumber()) {
            into.add(path.substring(1));
        }
        for (var e : node.properties()) {
            collectNumbers(e.getValue(), path + "/" + e.getKey(), into);
        }
    }

    /** The rows of README.md's "## Limits" table, by their first cell. */
    static Map<String, List<String>> limitsTable() throws IOException {
        assertThat(README).exists();
        Map<String, List<String>> rows = new LinkedHashMap<>();
        boolean inSection = false;
        for (String line : Files.readAllLines(README)) {
            if (line.startsWith("## ")) {
                inSection = line.equals("## Limits");
                continue;
            }
            if (inSection && line.startsWith("| ") && !line.startsWith("| ---")) {
                List<String> cells = new ArrayList<>();
                for (String cell : line.substring(1, line.length() - 1).split("\\|", -1)) {
                    cells.add(cell.strip());
                }
                rows.put(cells.get(0), cells);
            }
        }
        assertThat(rows).as("rows of README's ## Limits table").hasSizeGreaterThan(40);
        return rows;
    }

    private static List<String> rowStartingWith(Map<String, List<String>> table, String prefix) {
        List<List<String>> found =
                table.entrySet().stream()
                        .filter(e -> e.getKey().startsWith(prefix))
                        .map(Map.Entry::getValue)
                        .toList();
        assertThat(found).as("README limits rows starting with %s", prefix).hasSize(1);
        return found.get(0);
    }

    private static final Pattern QUANTITY =
            Pattern.compile(
                    "(\\d+(?:[ \\u00a0\\u202f]\\d{3})*)([kM](?![a-zA-Z]))?([⁰¹²³⁴⁵⁶⁷⁸⁹]+)?"
                            + "(?:\\s*(MiB|KiB|bytes|ms|min|s|h|days)(?![a-zA-Z]))?");

    private static final Map<String, Long> UNITS =
            Map.of(
                    "MiB", 1L << 20,
                    "KiB", 1L << 10,
                    "bytes", 1L,
                    "ms", 1L,
                    "s", 1_000L,
                    "min", 60_000L,
                    "h", 3_600_000L,
                    "days", 86_400_000L);

    /**
     * The numbers of a cell in reading order, in bytes, milliseconds or plain counts: "10 000",
     * "100k", "4M", "10¹²", "32 MiB", "5 min".
     */
    static List<BigInteger> quantities(String cell) {
        List<BigInteger> out = new ArrayList<>();
        Matcher m = QUANTITY.matcher(cell);
        while (m.find()) {
            BigInteger v = new BigInteger(m.group(1).replaceAll("\\D", ""));
            if (m.group(2) != null) {
                v = v.multiply(BigInteger.valueOf(m.group(2).equals("k") ? 1_000 : 1_000_000));
            }
            if (m.group(3) != null) {
                v = v.pow(Integer.parseInt(superscriptDigits(m.group(3))));
            }
            if (m.group(4) != null) {
                v = v.multiply(BigInteger.valueOf(UNITS.get(m.group(4))));
            }
            out.add(v);
        }
        return out;
    }

    private static String superscriptDigits(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            b.append("⁰¹²³⁴⁵⁶⁷⁸⁹".indexOf(s.charAt(i)));
        }
        return b.toString();
    }
}
