package dev.kiln.host.observability;

import dev.kiln.host.storage.CoreYield;
import dev.kiln.host.storage.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Usage in {@code records.db} table {@code usage_hours}: sums per UTC hour, service, function and
 * key. The record writer adds each batch's records in the same transaction that stores them, so
 * usage is exactly the sum of the records written — both or neither (docs/adr/0043). Days are sums
 * of their hours. Every method runs under the caller's lock on {@code db}.
 */
final class UsageLedger {
    /** The key of invocations made without one (anonymous HTTP triggers, events, timers). */
    static final String ANONYMOUS = "anonymous";

    private static final long HOUR_MS = 3_600_000L;
    private static final String[] COLUMNS = {
        "invocations", "errors", "billed_ms", "mib_ms", "fuel", "bytes_in", "bytes_out"
    };

    private UsageLedger() {}

    static void createTables(Statement st) throws SQLException {
        st.execute(
                "CREATE TABLE IF NOT EXISTS usage_hours ("
                        + " hour INTEGER NOT NULL, service TEXT NOT NULL,"
                        + " function TEXT NOT NULL, key_id TEXT NOT NULL,"
                        + " invocations INTEGER NOT NULL, errors INTEGER NOT NULL,"
                        + " billed_ms INTEGER NOT NULL, mib_ms INTEGER NOT NULL,"
                        + " fuel INTEGER NOT NULL, bytes_in INTEGER NOT NULL,"
                        + " bytes_out INTEGER NOT NULL,"
                        + " PRIMARY KEY (hour, service, function, key_id)) WITHOUT ROWID");
    }

    /** One row of {@code usage_hours}: an hour (epoch ms) of a function called with a key. */
    record Bucket(long hour, String service, String function, String key) {
        static Bucket of(InvocationRecord r) {
            return new Bucket(hourOf(r), r.service(), r.function(), keyOf(r));
        }

        boolean holds(InvocationRecord r) {
            return hour == hourOf(r)
                    && service.equals(r.service())
                    && function.equals(r.function())
                    && key.equals(keyOf(r));
        }

        private static long hourOf(InvocationRecord r) {
            return Math.floorDiv(r.startedAt().toEpochMilli(), HOUR_MS) * HOUR_MS;
        }

        private static String keyOf(InvocationRecord r) {
            return r.keyId() == null ? ANONYMOUS : r.keyId();
        }
    }

    /** What {@code records} add to each of their buckets. */
    static Map<Bucket, UsageAmounts> sums(List<InvocationRecord> records) {
        // Added up in place, and a run of records in one bucket (most of a batch) finds its
        // tally once: no objects per record on the writer thread.
        Map<Bucket, UsageAmounts.Tally> tallies = new LinkedHashMap<>();
        CoreYield pace = new CoreYield();
        Bucket bucket = null;
        UsageAmounts.Tally tally = null;
        for (InvocationRecord r : records) {
            pace.step();
            if (bucket == null || !bucket.holds(r)) {
                bucket = Bucket.of(r);
                tally = tallies.computeIfAbsent(bucket, b -> new UsageAmounts.Tally());
            }
            tally.add(r);
        }
        Map<Bucket, UsageAmounts> sums = new LinkedHashMap<>();
        tallies.forEach((b, t) -> sums.put(b, t.amounts()));
        return sums;
    }

    /** The one statement {@link #add} runs, prepared once per connection by its owner. */
    static PreparedStatement prepareUpsert(Connection db) throws SQLException {
        StringBuilder set = new StringBuilder();
        for (String c : COLUMNS) {
            set.append(set.isEmpty() ? "" : ", ").append(c).append(" = ").append(c);
            set.append(" + excluded.").append(c);
        }
        return db.prepareStatement(
                "INSERT INTO usage_hours VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                        + " ON CONFLICT (hour, service, function, key_id) DO UPDATE SET "
                        + set);
    }

    /**
     * Adds {@code sums} to their hours with {@code upsert} (from {@link #prepareUpsert}), inside
     * the caller's open transaction.
     */
    static void add(PreparedStatement upsert, Map<Bucket, UsageAmounts> sums) throws SQLException {
        if (sums.isEmpty()) {
            return;
        }
        for (var e : sums.entrySet()) {
            Bucket b = e.getKey();
            UsageAmounts a = e.getValue();
            Sql.bind(
                    upsert,
                    b.hour(),
                    b.service(),
                    b.function(),
                    b.key(),
                    a.invocations(),
                    a.errors(),
                    a.billedMs(),
                    a.mibMs(),
                    a.fuel(),
                    a.bytesIn(),
                    a.bytesOut());
            upsert.addBatch();
        }
        upsert.executeBatch();
    }

    static void prune(Connection db, Instant now, Duration retention) throws SQLException {
        Sql.update(
                db, "DELETE FROM usage_hours WHERE hour < ?", now.minus(retention).toEpochMilli());
    }

    /**
     * Rows of {@code q}, oldest bucket first, then by group. Services the asker may not see are
     * left out before grouping, so a key's row sums only what the asker may see.
     */
    static List<UsageRow> query(Connection db, UsageQuery q) throws SQLException {
        long unit = q.granularity().millis();
        long from = Math.floorDiv(q.from().toEpochMilli(), unit) * unit;
        long to = q.to().toEpochMilli();
        String bucket = "(hour / " + unit + ") * " + unit;
        String groupColumns =
                switch (q.groupBy()) {
                    case FUNCTION -> "service, function";
                    case SERVICE -> "service";
                    case KEY -> "service, key_id";
                };
        StringBuilder sql = new StringBuilder("SELECT " + bucket + " AS b, " + groupColumns);
        for (String c : COLUMNS) {
            sql.append(", SUM(").append(c).append(')');
        }
        sql.append(" FROM usage_hours WHERE hour >= ? AND hour < ?");
        List<Object> params = new ArrayList<>(List.of(from, to));
        if (q.service() != null) {
            sql.append(" AND service = ?");
            params.add(q.service());
        }
        if (q.function() != null) {
            sql.append(" AND function = ?");
            params.add(q.function());
        }
        sql.append(" GROUP BY b, ").append(groupColumns);
        int first = q.groupBy() == UsageQuery.GroupBy.SERVICE ? 3 : 4;
        Map<List<Object>, UsageAmounts> grouped = new TreeMap<>(UsageLedger::compare);
        Sql.list(
                db,
                sql.toString(),
                rs -> {
                    String service = rs.getString(2);
                    if (!q.visible().test(service)) {
                        return null;
                    }
                    var amounts =
                            new UsageAmounts(
                                    rs.getLong(first),
                                    rs.getLong(first + 1),
                                    rs.getLong(first + 2),
                                    rs.getLong(first + 3),
                                    rs.getLong(first + 4),
                                    rs.getLong(first + 5),
                                    rs.getLong(first + 6));
                    List<Object> key =
                            switch (q.groupBy()) {
                                case FUNCTION -> List.of(rs.getLong(1), service, rs.getString(3));
                                case SERVICE -> List.of(rs.getLong(1), service);
                                case KEY -> List.of(rs.getLong(1), rs.getString(3));
                            };
                    grouped.merge(key, amounts, UsageAmounts::plus);
                    return null;
                },
                params.toArray());
        List<UsageRow> out = new ArrayList<>(grouped.size());
        grouped.forEach(
                (k, a) -> {
                    Instant start = Instant.ofEpochMilli((Long) k.get(0));
                    out.add(
                            switch (q.groupBy()) {
                                case FUNCTION ->
                                        new UsageRow(
                                                start,
                                                (String) k.get(1),
                                                (String) k.get(2),
                                                null,
                                                a);
                                case SERVICE ->
                                        new UsageRow(start, (String) k.get(1), null, null, a);
                                case KEY -> new UsageRow(start, null, null, (String) k.get(1), a);
                            });
                });
        return out;
    }

    @SuppressWarnings("unchecked") // bucket keys hold a Long, then Strings
    private static int compare(List<Object> a, List<Object> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = ((Comparable<Object>) a.get(i)).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }
}
