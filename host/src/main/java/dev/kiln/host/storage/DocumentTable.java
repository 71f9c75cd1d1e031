package dev.kiln.host.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded node's {@link DocumentStore}: a small SQLite table of text documents keyed by {@code
 * (owner, id)}, every document also kept in memory; a write returns only once it is committed with
 * {@code synchronous=FULL}, and its listeners are told before it returns.
 */
public final class DocumentTable implements DocumentStore {
    private static final Logger log = LoggerFactory.getLogger(DocumentTable.class);
    private static final Pattern TABLE = Pattern.compile("[a-z_]{1,40}");

    private final Connection db;
    private final String table;
    // Sorted by owner then id, so listing one owner's documents is a range scan.
    private final ConcurrentSkipListMap<String, Document> cache = new ConcurrentSkipListMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    private DocumentTable(Connection db, String table) {
        this.db = db;
        this.table = table;
    }

    /** Opens (creating if needed) table {@code table} in the SQLite file {@code file}. */
    public static DocumentTable open(Path file, String table) {
        if (!TABLE.matcher(table).matches()) {
            throw new IllegalArgumentException("bad table name " + table);
        }
        try {
            Connection db = SqliteFiles.open(file, SqliteFiles.Durability.FULL);
            try (Statement st = db.createStatement()) {
                st.execute(
                        "CREATE TABLE IF NOT EXISTS "
                                + table
                                + " (owner TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,"
                                + " PRIMARY KEY (owner, id))");
            }
            var t = new DocumentTable(db, table);
            t.load();
            return t;
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("cannot open table " + table + " in " + file, e);
        }
    }

    private void load() throws SQLException {
        for (Document d :
                Sql.list(
                        db,
                        "SELECT owner, id, body FROM " + table,
                        rs -> new Document(rs.getString(1), rs.getString(2), rs.getString(3)))) {
            cache.put(key(d.owner(), d.id()), d);
        }
    }

    @Override
    public synchronized void listen(Listener listener) {
        for (Document d : cache.values()) {
            listener.changed(d.owner(), d.id(), d.body());
        }
        listeners.add(listener);
    }

    private void tell(String owner, String id, String body) {
        for (Listener l : listeners) {
            l.changed(owner, id, body);
        }
    }

    @Override
    public Optional<Document> get(String owner, String id) {
        return Optional.ofNullable(cache.get(key(owner, id)));
    }

    @Override
    public List<Document> list(String owner) {
        String from = owner + '\0';
        String to = owner + '\1';
        return new ArrayList<>(cache.subMap(from, to).values());
    }

    @Override
    public List<Document> all() {
        return new ArrayList<>(cache.values());
    }

    @Override
    public synchronized void put(String owner, String id, String body) {
        try {
            Sql.update(
                    db,
                    "INSERT INTO "
                            + table
                            + " VALUES (?, ?, ?) ON CONFLICT (owner, id) DO UPDATE SET"
                            + " body = excluded.body",
                    owner,
                    id,
                    body);
        } catch (SQLException e) {
            throw failure(e);
        }
        cache.put(key(owner, id), new Document(owner, id, body));
        tell(owner, id, body);
    }

    @Override
    public synchronized boolean delete(String owner, String id) {
        try {
            Sql.update(db, "DELETE FROM " + table + " WHERE owner = ? AND id = ?", owner, id);
        } catch (SQLException e) {
            throw failure(e);
        }
        boolean existed = cache.remove(key(owner, id)) != null;
        if (existed) {
            tell(owner, id, null);
        }
        return existed;
    }

    @Override
    public synchronized int deleteOwner(String owner) {
        try {
            Sql.update(db, "DELETE FROM " + table + " WHERE owner = ?", owner);
        } catch (SQLException e) {
            throw failure(e);
        }
        Map<String, Document> mine = cache.subMap(owner + '\0', owner + '\1');
        List<Document> gone = new ArrayList<>(mine.values());
        mine.clear();
        for (Document d : gone) {
            tell(owner, d.id(), null);
        }
        return gone.size();
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            log.warn("closing table {} failed: {}", table, e.toString());
        }
    }

    private static String key(String owner, String id) {
        return owner + '\0' + id;
    }

    private IllegalStateException failure(SQLException e) {
        return new IllegalStateException("writing table " + table + " failed", e);
    }
}
