package dev.kiln.host.cluster;

import dev.kiln.host.events.FireMark;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;

/**
 * Timer fire marks in the {@code kiln-fire-marks} bucket (docs/adr/0053): the last scheduled time
 * fired, per timer, shared by every node. A mark only moves forward (compare-and-set), so a node
 * that fires late never moves it back.
 */
final class FireMarks {
    private final KeyValue marks;
    private final RevisionWrites writes;
    private final ShortReads reads;

    FireMarks(Connection nc, KeyValue marks) throws IOException {
        this.marks = marks;
        this.writes = new RevisionWrites(nc, marks);
        this.reads = new ShortReads(nc);
    }

    Optional<Instant> last(String key) {
        try {
            KeyValueEntry e = marks.get(EventMessages.markKey(key));
            return e == null || e.getValue() == null
                    ? Optional.empty()
                    : Optional.of(Instant.ofEpochMilli(Long.parseLong(e.getValueAsString())));
        } catch (IOException | JetStreamApiException e) {
            throw Unavailable.of("reading a fire mark failed", e);
        }
    }

    /** Moves the mark to the fire's time unless another node moved it as far already. */
    void advance(FireMark mark) throws IOException, JetStreamApiException {
        String key = EventMessages.markKey(mark.key());
        long at = mark.scheduledAt().toEpochMilli();
        byte[] value = Long.toString(at).getBytes(StandardCharsets.UTF_8);
        for (int tries = 0; tries < 5; tries++) {
            KeyValueEntry current = marks.get(key);
            try {
                if (current == null || current.getValue() == null) {
                    writes.create(key, value);
                } else if (Long.parseLong(current.getValueAsString()) < at) {
                    writes.update(key, value, current.getRevision());
                }
                return;
            } catch (RevisionWrites.Conflict c) {
                // another node wrote it meanwhile: read it again
            }
        }
    }

    boolean delete(String key) {
        boolean existed = last(key).isPresent();
        try {
            marks.delete(EventMessages.markKey(key));
        } catch (IOException | JetStreamApiException e) {
            throw Unavailable.of("deleting a fire mark failed", e);
        }
        return existed;
    }

    int deleteWithPrefix(String prefix) {
        try {
            int n = 0;
            for (String k :
                    reads.keys(
                            marks.getBucketName(),
                            ">",
                            System.nanoTime() + ShortReads.READ_WAIT.toNanos())) {
                if (EventMessages.markKeyDecoded(k).startsWith(prefix)) {
                    marks.delete(k);
                    n++;
                }
            }
            return n;
        } catch (IOException | JetStreamApiException e) {
            throw Unavailable.of("deleting fire marks failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Unavailable.of("deleting fire marks was interrupted", e);
        }
    }
}
