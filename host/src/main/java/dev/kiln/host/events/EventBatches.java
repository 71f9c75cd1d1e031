package dev.kiln.host.events;

import dev.kiln.host.core.KilnException;
import dev.kiln.host.storage.DiskSpace;
import dev.kiln.host.storage.GroupCommitWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the queue's changes in batches for its {@link GroupCommitWriter}: one transaction (one
 * fsync) per batch, each change inside its own savepoint so one refused change never undoes
 * another; memory follows only a commit, and the futures complete after it.
 */
final class EventBatches implements GroupCommitWriter.Sink<EventOp<?>> {
    private static final Logger log = LoggerFactory.getLogger(EventBatches.class);

    private final Connection db;
    private final QueueState state;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    EventBatches(Connection db, QueueState state) {
        this.db = db;
        this.state = state;
    }

    void onChange(Runnable listener) {
        listeners.add(listener);
    }

    @Override
    public void write(List<EventOp<?>> batch) {
        QueueState.Changes changes = state.changes();
        boolean began = false;
        try (Statement tx = db.createStatement()) {
            try {
                // IMMEDIATE takes the write lock up front (waiting out the busy timeout): a
                // deferred transaction that read first could not upgrade while the trigger and
                // settings tables of the same file are being written, and would fail at once.
                tx.execute("BEGIN IMMEDIATE");
                began = true;
                for (EventOp<?> op : batch) {
                    SqliteEventQueue.FAULTS.pass();
                    runInSavepoint(op, changes);
                }
                tx.execute("COMMIT");
            } catch (Throwable e) {
                // Even an Error must not leave the transaction open for the next batch.
                if (began) {
                    try {
                        tx.execute("ROLLBACK");
                    } catch (SQLException r) {
                        e.addSuppressed(r);
                    }
                }
                throw e;
            }
        } catch (SQLException | RuntimeException e) {
            log.error("event queue transaction of {} changes failed", batch.size(), e);
            failed(batch, e);
            return;
        }
        state.apply(changes);
        for (EventOp<?> op : batch) {
            op.settle();
        }
        if (changes.madeEventsDue || !changes.leasesRemoved.isEmpty()) {
            notifyListeners();
        }
    }

    @Override
    public void failed(List<EventOp<?>> batch, Throwable cause) {
        var failure = DiskSpace.failure(cause, "the event queue could not store the change");
        // Nothing of the batch is stored, but the leases its completions end are over all the
        // same: kept, they would hold their events (and their functions' concurrency) until a
        // restart. The events stay as stored and are leased again when due.
        QueueState.Changes released = state.changes();
        for (EventOp<?> op : batch) {
            if (op.endsLease != null) {
                released.leasesRemoved.add(op.endsLease);
            }
        }
        state.apply(released);
        for (EventOp<?> op : batch) {
            op.fail(failure);
        }
        notifyListeners();
    }

    @Override
    public void abandoned(List<EventOp<?>> changes) {
        for (EventOp<?> op : changes) {
            op.fail(SqliteEventQueue.shuttingDown());
        }
    }

    private void notifyListeners() {
        for (Runnable l : listeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                log.warn("event queue listener failed", e);
            }
        }
    }

    private void runInSavepoint(EventOp<?> op, QueueState.Changes changes) throws SQLException {
        QueueState.Changes before = changes.copy();
        try (Statement st = db.createStatement()) {
            st.execute("SAVEPOINT op");
        }
        try {
            op.run(changes);
            try (Statement st = db.createStatement()) {
                st.execute("RELEASE op");
            }
        } catch (KilnException | SQLException e) {
            // This change alone is refused (a full queue, a constraint): undo just it.
            try (Statement st = db.createStatement()) {
                st.execute("ROLLBACK TO op");
                st.execute("RELEASE op");
            }
            changes.restore(before);
            if (op.endsLease != null) {
                // A refused completion still ends its lease; see failed().
                changes.leasesRemoved.add(op.endsLease);
            }
            op.refuse(
                    e instanceof KilnException k
                            ? k
                            : DiskSpace.failure(e, "the event queue could not store the change"));
            if (e instanceof SQLException) {
                log.error("event queue change refused by the database", e);
            }
        }
    }
}
