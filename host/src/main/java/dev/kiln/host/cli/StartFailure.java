package dev.kiln.host.cli;

import dev.kiln.host.storage.SqliteFiles;
import java.sql.SQLException;

/** Why a host could not start, as one line for the operator. */
final class StartFailure {
    private StartFailure() {}

    /**
     * The failure's message and its root cause's, on one line; for a database SQLite finds corrupt
     * (events.db and kiln.db hold state that cannot be rebuilt, so Kiln will not start without
     * them), what to do about it.
     */
    // A throwable that is its own cause ends the chain; identity is the point.
    @SuppressWarnings("ReferenceEquality")
    static String describe(Throwable failure) {
        StringBuilder out = new StringBuilder(String.valueOf(failure.getMessage()));
        Throwable root = failure;
        boolean corrupt = false;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            root = t;
            corrupt |= t instanceof SQLException e && SqliteFiles.isCorrupt(e);
        }
        if (root != failure && root.getMessage() != null) {
            out.append(": ").append(root.getMessage());
        }
        if (corrupt) {
            out.append(
                    " — the file is damaged; restore it from a backup, or move it away to start"
                            + " without what it held");
        }
        return out.toString().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
