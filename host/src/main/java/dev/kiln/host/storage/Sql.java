package dev.kiln.host.storage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Prepare, bind, run, read: the steps every query repeats, once. Parameters bind by type ({@code
 * String}, {@code Integer}, {@code Long}, {@code byte[]}, {@code null}); failures stay {@link
 * SQLException}s for the caller to turn into its own error.
 */
public final class Sql {
    private Sql() {}

    /** Reads one row. */
    @FunctionalInterface
    public interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** Every row the query returns, in order. */
    public static <T> List<T> list(Connection db, String sql, Row<T> row, Object... params)
            throws SQLException {
        try (PreparedStatement st = db.prepareStatement(sql)) {
            bind(st, params);
            List<T> out = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(row.read(rs));
                }
            }
            return out;
        }
    }

    /** The first row, if there is one and {@code row} reads it as non-null. */
    public static <T> Optional<T> first(Connection db, String sql, Row<T> row, Object... params)
            throws SQLException {
        try (PreparedStatement st = db.prepareStatement(sql)) {
            bind(st, params);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? Optional.ofNullable(row.read(rs)) : Optional.empty();
            }
        }
    }

    /** The first column of the first row as a number; 0 when there is no row or it is null. */
    public static long number(Connection db, String sql, Object... params) throws SQLException {
        return first(db, sql, rs -> rs.getLong(1), params).orElse(0L);
    }

    /** Runs an insert, update or delete; returns the rows it changed. */
    public static int update(Connection db, String sql, Object... params) throws SQLException {
        try (PreparedStatement st = db.prepareStatement(sql)) {
            bind(st, params);
            return st.executeUpdate();
        }
    }

    /** Binds {@code params} to the statement's parameters 1, 2, ... */
    public static void bind(PreparedStatement st, Object... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            int at = i + 1;
            switch (params[i]) {
                case null -> st.setNull(at, Types.NULL);
                case String s -> st.setString(at, s);
                case Integer n -> st.setInt(at, n);
                case Long n -> st.setLong(at, n);
                case byte[] b -> st.setBytes(at, b);
                case Double d -> st.setDouble(at, d);
                default ->
                        throw new IllegalArgumentException(
                                "cannot bind a " + params[i].getClass().getSimpleName());
            }
        }
    }

    /** Statements run as one transaction. */
    @FunctionalInterface
    public interface Work {
        void run() throws SQLException;
    }

    /**
     * Runs {@code work} as one transaction: committed if it returns, rolled back if it throws; the
     * connection's auto-commit is put back as it was.
     */
    public static void inTransaction(Connection db, Work work) throws SQLException {
        boolean autoCommit = db.getAutoCommit();
        db.setAutoCommit(false);
        try {
            work.run();
            db.commit();
        } catch (SQLException | RuntimeException e) {
            db.rollback();
            throw e;
        } finally {
            db.setAutoCommit(autoCommit);
        }
    }
}
