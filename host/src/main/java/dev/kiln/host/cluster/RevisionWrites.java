package dev.kiln.host.cluster;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.PublishOptions;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.util.List;

/**
 * Compare-and-set writes to a JetStream key-value bucket that hold on every server version. Each
 * write over a revision carries the message id {@code <key>@<revision>} besides the expected last
 * sequence: nats-server before 2.9.21 (Debian's 2.9.10 among them) checks a clustered stream's
 * expected sequence only before proposing the write (nats-server#4320), so two writes over one
 * revision could both be stored and one change be lost; its duplicate check stages the id at once,
 * so only one write per revision of a key is stored (within the bucket's duplicate window, 2
 * minutes or its max age). Tombstones are never purged within that window, so an id never comes
 * back for a later write.
 */
final class RevisionWrites {
    /** JetStream's "wrong last sequence" API error code. */
    static final int WRONG_LAST_SEQUENCE = 10071;

    private static final String OPERATION = "KV-Operation";

    /** Thrown when the key changed since the revision a write expected. */
    static final class Conflict extends Exception {
        private static final long serialVersionUID = 1L;

        Conflict() {
            super(null, null, false, false);
        }
    }

    private final JetStream js;
    private final KeyValue kv;
    private final String stream;
    private final String subjects;

    RevisionWrites(Connection nc, KeyValue kv) throws IOException {
        this.js = nc.jetStream(Buckets.JS_OPTIONS);
        this.kv = kv;
        this.stream = "KV_" + kv.getBucketName();
        this.subjects = "$KV." + kv.getBucketName() + ".";
    }

    /**
     * Stores {@code value} over {@code expectedRevision} (0: the key has no message yet).
     *
     * @return the new revision
     */
    long update(String key, byte[] value, long expectedRevision)
            throws IOException, JetStreamApiException, Conflict {
        return publish(key, null, value, expectedRevision);
    }

    /**
     * Stores {@code value} where the key has no value: never written, or deleted (over its
     * tombstone's revision, as jnats' {@code create} does).
     */
    long create(String key, byte[] value) throws IOException, JetStreamApiException, Conflict {
        try {
            return update(key, value, 0);
        } catch (Conflict c) {
            List<KeyValueEntry> history;
            try {
                history = kv.history(key);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while reading " + key, e);
            }
            KeyValueEntry last = history.isEmpty() ? null : history.get(history.size() - 1);
            if (last != null && last.getOperation() != KeyValueOperation.PUT) {
                return update(key, value, last.getRevision());
            }
            throw c;
        }
    }

    /** Writes a tombstone (jnats' {@code KV-Operation: DEL}) over {@code expectedRevision}. */
    long delete(String key, long expectedRevision)
            throws IOException, JetStreamApiException, Conflict {
        return publish(key, new Headers().put(OPERATION, "DEL"), null, expectedRevision);
    }

    /** Stores a message for {@code key}; {@code expectedRevision} null: whatever is there. */
    long publish(String key, Headers h, byte[] data, Long expectedRevision)
            throws IOException, JetStreamApiException, Conflict {
        PublishOptions.Builder o = PublishOptions.builder().expectedStream(stream);
        if (expectedRevision != null) {
            o.expectedLastSubjectSequence(expectedRevision);
            o.messageId(key + "@" + expectedRevision);
        }
        try {
            PublishAck ack = js.publish(subjects + key, h, data, o.build());
            if (ack.isDuplicate()) {
                throw new Conflict();
            }
            return ack.getSeqno();
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                throw new Conflict();
            }
            throw e;
        }
    }
}
