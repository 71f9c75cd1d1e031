package dev.kiln.host.events;

import dev.kiln.host.storage.SqliteSchema;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** The queue's tables in {@code events.db} and how a file gets them. */
final class EventSchema {
    private EventSchema() {}

    private static final List<SqliteSchema.Step> STEPS =
            List.of(
                    st -> {
                        st.execute(
                                "CREATE TABLE IF NOT EXISTS events ("
                                        + " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                                        + " request_id TEXT NOT NULL UNIQUE,"
                                        + " service TEXT NOT NULL, function TEXT NOT NULL,"
                                        + " trigger TEXT NOT NULL, source TEXT NOT NULL,"
                                        + " payload BLOB NOT NULL, depth INTEGER NOT NULL,"
                                        + " created_at INTEGER NOT NULL, attempts INTEGER NOT NULL,"
                                        + " due_at INTEGER NOT NULL, last_error TEXT,"
                                        + " last_message TEXT)");
                        st.execute("CREATE INDEX IF NOT EXISTS events_due ON events (due_at, seq)");
                        st.execute(
                                "CREATE INDEX IF NOT EXISTS events_fn ON events"
                                        + " (service, function, seq)");
                        st.execute(
                                "CREATE TABLE IF NOT EXISTS dead_letters ("
                                        + " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                                        + " request_id TEXT NOT NULL UNIQUE,"
                                        + " service TEXT NOT NULL, function TEXT NOT NULL,"
                                        + " trigger TEXT NOT NULL, source TEXT NOT NULL,"
                                        + " payload BLOB NOT NULL, depth INTEGER NOT NULL,"
                                        + " created_at INTEGER NOT NULL,"
                                        + " dead_lettered_at INTEGER NOT NULL,"
                                        + " attempts INTEGER NOT NULL, reason TEXT NOT NULL,"
                                        + " error_code TEXT, error_message TEXT)");
                        st.execute(
                                "CREATE INDEX IF NOT EXISTS dead_letters_fn ON dead_letters"
                                        + " (service, function, seq)");
                        st.execute(
                                "CREATE TABLE IF NOT EXISTS fire_marks ("
                                        + " key TEXT PRIMARY KEY, scheduled_at INTEGER NOT NULL)");
                    },
                    // What selects the version an event runs (docs/adr/0037); NULL is LATEST.
                    st -> {
                        SqliteSchema.addColumnIfMissing(st, "events", "qualifier", "TEXT");
                        SqliteSchema.addColumnIfMissing(st, "dead_letters", "qualifier", "TEXT");
                    },
                    // The W3C trace an event's attempts continue (docs/adr/0047); NULL for none.
                    st -> {
                        for (String table : List.of("events", "dead_letters")) {
                            SqliteSchema.addColumnIfMissing(st, table, "traceparent", "TEXT");
                            SqliteSchema.addColumnIfMissing(st, table, "tracestate", "TEXT");
                        }
                    });

    static void migrate(Connection db) throws SQLException {
        SqliteSchema.migrate(db, "events.db", STEPS);
    }
}
