package dev.kiln.host.storage;

import java.util.List;
import java.util.Optional;

/**
 * Text documents keyed by {@code (owner, id)}, for settings-like state that is written rarely and
 * read on hot paths: every document is kept in memory. The embedded node keeps them in a SQLite
 * table ({@link DocumentTable}); a cluster node in a JetStream key-value bucket shared by every
 * node (docs/adr/0054). A write returns once it is durable and applied to this store's memory (and,
 * in a cluster, to every live node's), so the next read anywhere sees it.
 */
public interface DocumentStore extends AutoCloseable {

    /** A stored document. */
    record Document(String owner, String id, String body) {}

    /**
     * Told of each document as it is now and of every later change, one call at a time, in the
     * order of the changes. Called on the store's own thread: it must not wait for a lock that a
     * writer of this store holds while writing (a cluster node's write waits for the change to come
     * back through the watch that calls this).
     */
    @FunctionalInterface
    interface Listener {
        /**
         * Document {@code (owner, id)} is now {@code body}.
         *
         * @param body the document's new body, or null when it was deleted
         */
        void changed(String owner, String id, String body);
    }

    Optional<Document> get(String owner, String id);

    /** The documents of {@code owner}, sorted by id. */
    List<Document> list(String owner);

    /** Every document, sorted by owner and id. */
    List<Document> all();

    /** Inserts or replaces a document; returns once it is durable and applied. */
    void put(String owner, String id, String body);

    /** Deletes a document; returns whether it existed. */
    boolean delete(String owner, String id);

    /** Deletes every document of {@code owner}; returns how many there were. */
    int deleteOwner(String owner);

    /**
     * Calls {@code listener} for every document stored now, then for every change from here on
     * (made through this store, or by another node of a cluster). A listener that throws while the
     * stored documents are replayed makes this throw.
     */
    void listen(Listener listener);

    @Override
    void close();

    /** Opens the document stores of one node. */
    @FunctionalInterface
    interface Opener {
        /**
         * Opens one table.
         *
         * @param file the SQLite file the embedded node keeps the table in (a cluster ignores it)
         * @param table the table's name: {@code [a-z_]{1,40}}
         */
        DocumentStore open(String file, String table);

        /** The embedded node's: SQLite files in {@code dataDir}, as always. */
        static Opener sqlite(java.nio.file.Path dataDir) {
            return (file, table) -> DocumentTable.open(dataDir.resolve(file), table);
        }
    }
}
