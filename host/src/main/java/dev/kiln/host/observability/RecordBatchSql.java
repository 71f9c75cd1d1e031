package dev.kiln.host.observability;

import dev.kiln.abi.GuestLogLine;
import dev.kiln.host.storage.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The statements that store a batch of records in {@code records.db}: the records, their log lines
 * and their usage (docs/adr/0043), and, for records that came from other nodes, the stream position
 * they were read up to (docs/adr/0057). Run inside the caller's transaction, under its lock on
 * {@code db}.
 */
final class RecordBatchSql implements AutoCloseable {
    private static final String ORIGIN = "origin";
    private static final String POSITION = "position:";
    // Under load, prune by volume too: a minute of records at 17k/s was a 300 MB file and a
    // prune that held the writer for seconds while the queue overflowed (docs/adr/0062).
    static final int PRUNE_AFTER_RECORDS = 20_000;

    private final Connection db;
    private final ChunkTable chunks;
    // The batch's statements, prepared on first use.
    private PreparedStatement clear;
    private PreparedStatement line;
    private PreparedStatement usageUpsert;
    // Since the last prune of either kind: the functions written, and how many records.
    private final Set<Written> written = new HashSet<>();
    private long recordsWritten;

    RecordBatchSql(Connection db) {
        this.db = db;
        this.chunks = new ChunkTable(db);
    }

    /** The records themselves, for reads under the same lock. */
    ChunkTable chunks() {
        return chunks;
    }

    /**
     * Stores {@code records} with their log lines and adds {@code usage} (theirs, from {@link
     * UsageLedger#sums}, plus that of records shed since the last batch); a record that names no
     * node is {@code localNode}'s. Each function's records of the batch become one chunk.
     */
    void insert(
            List<InvocationRecord> records,
            String localNode,
            Map<UsageLedger.Bucket, UsageAmounts> usage)
            throws SQLException {
        if (line == null) {
            prepare();
        }
        // What a batch that failed while binding left behind must not join this one.
        clear.clearBatch();
        line.clearBatch();
        recordsWritten += records.size();
        Map<Written, List<InvocationRecord>> byFunction = new HashMap<>();
        boolean replacing = false;
        for (InvocationRecord r : records) {
            Written w = new Written(r.service(), r.function());
            byFunction.computeIfAbsent(w, k -> new ArrayList<>()).add(r);
            if (mayReplace(r)) {
                replacing = true;
                chunks.remove(r.service(), r.function(), r.requestId());
                Sql.bind(clear, r.requestId());
                clear.addBatch();
            }
        }
        clear.executeBatch();
        for (var e : byFunction.entrySet()) {
            Written w = e.getKey();
            written.add(w);
            List<InvocationStore.Listed> chunk = distinct(e.getValue(), replacing);
            chunks.insert(w.service(), w.function(), chunk, localNode);
            for (InvocationStore.Listed stored : chunk) {
                addLines(stored.record());
            }
        }
        line.executeBatch();
        // Usage in the same transaction: both are stored, or neither.
        UsageLedger.add(usageUpsert, usage);
    }

    private void addLines(InvocationRecord r) throws SQLException {
        int seq = 0;
        for (GuestLogLine l : r.logs()) {
            Sql.bind(
                    line,
                    r.requestId(),
                    seq++,
                    l.epochMillis(),
                    l.level().name(),
                    l.message(),
                    r.service(),
                    r.function());
            line.addBatch();
        }
    }

    /**
     * One function's records of a batch as a chunk holds them: in the order they were queued (a
     * chunk's bounds say where its records sit; readers order what they read), the last of an id
     * winning. Sorting them here was ~10 % of the writer, nearly all of it comparing the ids of
     * records started in the same millisecond.
     */
    private static List<InvocationStore.Listed> distinct(
            List<InvocationRecord> records, boolean replacing) {
        Collection<InvocationRecord> distinct = records;
        if (replacing) {
            Map<String, InvocationRecord> last = new LinkedHashMap<>();
            for (InvocationRecord r : records) {
                last.put(r.requestId(), r);
            }
            distinct = last.values();
        }
        List<InvocationStore.Listed> out = new ArrayList<>(distinct.size());
        for (InvocationRecord r : distinct) {
            out.add(new InvocationStore.Listed(r, r.logs().size()));
        }
        return out;
    }

    // Prepared once: a batch's statements cost ~2 % of the writer when prepared per batch.
    private void prepare() throws SQLException {
        clear = db.prepareStatement("DELETE FROM invocation_logs WHERE request_id = ?");
        line =
                db.prepareStatement(
                        "INSERT OR REPLACE INTO invocation_logs (request_id, seq, time, level,"
                                + " message, service, function) VALUES (?, ?, ?, ?, ?, ?, ?)");
        usageUpsert = UsageLedger.prepareUpsert(db);
    }

    /**
     * Whether a record with {@code r}'s request id may be stored already, so that it and its log
     * lines must go first: an event's attempt replaces the attempt before it, and another node's
     * record may be read again. This node's synchronous invocations (attempt 0) always have new
     * ids, and looking for them would cost a lookup per record.
     */
    private static boolean mayReplace(InvocationRecord r) {
        return r.attempt() > 0 || r.node() != null;
    }

    /** Whether enough records were written since the last prune for {@link #pruneWritten}. */
    boolean trimDue() {
        return recordsWritten >= PRUNE_AFTER_RECORDS;
    }

    /** A function whose records were written since the last prune. */
    private record Written(String service, String function) {}

    /**
     * Takes out all but the newest {@code maxPerFunction} records of each function {@link #insert}
     * stored records of since the last call, and their log lines: what a busy writer runs between
     * the full prunes of {@link #prune} (docs/adr/0062). Run inside the caller's transaction.
     */
    void pruneWritten(int maxPerFunction) throws SQLException {
        List<Written> functions = List.copyOf(written);
        written.clear();
        recordsWritten = 0;
        for (Written f : functions) {
            trim(f, chunks.count(f.service(), f.function()), maxPerFunction, null);
        }
    }

    /**
     * Takes out a function's records older than {@code ageCut} (none when null) and all but its
     * newest {@code maxPerFunction}, with their log lines.
     */
    private void trim(Written f, long stored, int maxPerFunction, RecordChunks.Key ageCut)
            throws SQLException {
        RecordChunks.Key cut = ageCut;
        if (stored > maxPerFunction) {
            Optional<RecordChunks.Key> beyond =
                    chunks.firstBeyond(f.service(), f.function(), maxPerFunction);
            if (beyond.isPresent() && (cut == null || beyond.get().compareTo(cut) > 0)) {
                cut = beyond.get();
            }
        }
        if (cut == null) {
            return;
        }
        List<String> withLines = chunks.removeUpTo(f.service(), f.function(), cut);
        if (!withLines.isEmpty()) {
            clear.clearBatch();
            for (String id : withLines) {
                Sql.bind(clear, id);
                clear.addBatch();
            }
            clear.executeBatch();
        }
    }

    /**
     * Takes out the records started before {@code cutoff} (epoch ms), all but the newest {@code
     * maxPerFunction} of each function, and the log lines of records gone.
     */
    void prune(long cutoff, int maxPerFunction) throws SQLException {
        if (line == null) {
            prepare();
        }
        written.clear(); // every function's turn comes here
        recordsWritten = 0;
        // Every record started before the cutoff sorts at or before this key.
        RecordChunks.Key ageCut = new RecordChunks.Key(cutoff - 1, "\uffff");
        for (ChunkTable.Stored f : chunks.functions()) {
            trim(
                    new Written(f.service(), f.function()),
                    f.records(),
                    maxPerFunction,
                    f.oldestAt() < cutoff ? ageCut : null);
        }
    }

    /** The stream position of {@code source} read up to, 0 for none. */
    long position(String source) throws SQLException {
        return value(POSITION + source).map(Long::parseLong).orElse(0L);
    }

    /** Keeps {@code position} as what {@code source} was read up to. */
    void position(String source, long position) throws SQLException {
        put(POSITION + source, Long.toString(position));
    }

    /**
     * This file's name among the copies of records the cluster holds: made once with the file, so
     * that a node that starts on a fresh (or moved-aside) {@code records.db} reads even the records
     * it published itself before.
     */
    String origin() throws SQLException {
        Optional<String> id = value(ORIGIN);
        if (id.isPresent()) {
            return id.get();
        }
        String made = UUID.randomUUID().toString();
        put(ORIGIN, made);
        return made;
    }

    private Optional<String> value(String name) throws SQLException {
        return Sql.first(
                db, "SELECT value FROM replication WHERE name = ?", rs -> rs.getString(1), name);
    }

    private void put(String name, String value) throws SQLException {
        try (PreparedStatement st =
                db.prepareStatement("INSERT OR REPLACE INTO replication VALUES (?, ?)")) {
            Sql.bind(st, name, value);
            st.executeUpdate();
        }
    }

    @Override
    public void close() throws SQLException {
        for (PreparedStatement st : new PreparedStatement[] {clear, line, usageUpsert}) {
            if (st != null) {
                st.close();
            }
        }
        chunks.close();
    }
}
