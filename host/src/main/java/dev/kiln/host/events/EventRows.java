package dev.kiln.host.events;

import dev.kiln.host.observability.TraceContext;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/** Rows of the queue's tables read into {@link QueuedEvent}s and {@link DeadLetter}s. */
final class EventRows {
    private EventRows() {}

    /** The columns {@link #event} reads, in table order. */
    static final String EVENT_COLUMNS =
            "seq, request_id, service, function, trigger, source, payload, depth, created_at,"
                    + " attempts, due_at, last_error, last_message, qualifier, traceparent,"
                    + " tracestate";

    /** {@link #EVENT_COLUMNS} with an empty payload, for listings. */
    static final String EVENT_COLUMNS_NO_PAYLOAD =
            EVENT_COLUMNS.replace("payload", "x'' AS payload");

    /** The columns {@link #deadLetter} reads; {@code %s} is the payload column. */
    private static final String DEAD_LETTER_COLUMNS =
            "seq, request_id, service, function, trigger, source, %s, created_at,"
                    + " dead_lettered_at, attempts, reason, error_code, error_message";

    static final String DEAD_LETTER_COLUMNS_WITH_PAYLOAD = DEAD_LETTER_COLUMNS.formatted("payload");
    static final String DEAD_LETTER_COLUMNS_NO_PAYLOAD =
            DEAD_LETTER_COLUMNS.formatted("x'' AS payload");

    static QueuedEvent event(ResultSet rs) throws SQLException {
        return new QueuedEvent(
                rs.getLong("seq"),
                fields(rs),
                rs.getInt("depth"),
                Instant.ofEpochMilli(rs.getLong("created_at")),
                rs.getInt("attempts"),
                Instant.ofEpochMilli(rs.getLong("due_at")),
                rs.getString("last_error"),
                rs.getString("last_message"),
                rs.getString("qualifier"),
                // Checked when stored; parsed again so a hand-edited row cannot break an attempt.
                TraceContext.parse(rs.getString("traceparent"), rs.getString("tracestate")));
    }

    static DeadLetter deadLetter(ResultSet rs) throws SQLException {
        return new DeadLetter(
                rs.getLong("seq"),
                fields(rs),
                Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("dead_lettered_at")),
                rs.getInt("attempts"),
                rs.getString("reason"),
                rs.getString("error_code"),
                rs.getString("error_message"));
    }

    private static EventFields fields(ResultSet rs) throws SQLException {
        return new EventFields(
                rs.getString("request_id"),
                rs.getString("service"),
                rs.getString("function"),
                rs.getString("trigger"),
                rs.getString("source"),
                payload(rs));
    }

    private static byte[] payload(ResultSet rs) throws SQLException {
        byte[] payload = rs.getBytes("payload");
        return payload == null ? new byte[0] : payload;
    }
}
