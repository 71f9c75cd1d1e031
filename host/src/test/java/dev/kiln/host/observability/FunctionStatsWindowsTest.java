package dev.kiln.host.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FunctionStatsWindowsTest {
    @TempDir Path dir;

    private static InvocationRecord record(String function, Instant at, long fuel) {
        return new InvocationRecord(
                "id-" + function + at.toEpochMilli() + "-" + fuel,
                "svc",
                function,
                1,
                "sha",
                "invoke",
                at,
                1_000,
                "ok",
                200,
                1,
                1,
                fuel,
                "pool",
                null,
                List.of(),
                false,
                0,
                64,
                null,
                null,
                null,
                null);
    }

    /**
     * A batch interleaving two functions across a minute boundary lands each record in its own
     * function's minute: the window a run of records shares is looked up again when the function or
     * the minute changes, before and after the windows are stored.
     */
    @Test
    void aBatchInterleavingFunctionsAndMinutesCountsEachInItsOwnWindow() throws Exception {
        long minute =
                FunctionStats.floor(Instant.parse("2026-12-06T10:00:00Z").toEpochMilli(), 60_000);
        try (Connection db =
                DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("stats.db"))) {
            try (Statement st = db.createStatement()) {
                FunctionStats.createTables(st);
            }
            FunctionStats stats = new FunctionStats(db);
            List<InvocationRecord> batch = new ArrayList<>();
            // Runs that change only the function, only the minute, and a window that comes back.
            String[] functions = {"a", "a", "b", "b", "a", "b", "a"};
            int[] minutes = {0, 0, 0, 1, 1, 1, 0};
            for (int i = 0; i < functions.length; i++) {
                long at = minute + minutes[i] * 60_000L + 59_000L * (1 - minutes[i]) + i;
                batch.add(record(functions[i], Instant.ofEpochMilli(at), 10L << i));
            }
            stats.add(batch);
            long from = minute;
            long to = minute + 120_000;
            assertCounts(stats.query("svc", "a", from, to, 60_000), 3, 10 + 20 + 640, 1, 160);
            assertCounts(stats.query("svc", "b", from, to, 60_000), 1, 40, 2, 80 + 320);
            stats.persist(to + 3_600_000, true);
            assertCounts(stats.query("svc", "a", from, to, 60_000), 3, 10 + 20 + 640, 1, 160);
            assertCounts(stats.query("svc", "b", from, to, 60_000), 1, 40, 2, 80 + 320);
        }
    }

    private static void assertCounts(
            List<StatsPoint> points, long first, long firstFuel, long second, long secondFuel) {
        assertThat(points).hasSize(2);
        assertThat(points.get(0).count()).isEqualTo(first);
        assertThat(points.get(0).fuel().sum()).isEqualTo(firstFuel);
        assertThat(points.get(1).count()).isEqualTo(second);
        assertThat(points.get(1).fuel().sum()).isEqualTo(secondFuel);
    }
}
