package dev.kiln.host.cluster;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.api.MessageGetRequest;
import io.nats.client.api.MessageInfo;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * How the {@code kiln-kv} bucket holds every service's key-value store (docs/adr/0055), on the wire
 * of the JetStream KV bucket rather than through jnats' {@code KeyValue}, because an entry carries
 * its expiry in a header (nats-server 2.9 has no per-key TTL) and a listing reads headers only.
 *
 * <ul>
 *   <li>A key is {@code <service>.<lower-case hex of the key's bytes>}: any bytes a guest may use
 *       become subject-safe characters, and hex keeps byte order and prefixes.
 *   <li>A value is the guest's bytes, unchanged; {@value #EXPIRES} holds its expiry (epoch ms).
 *   <li>A delete is jnats' tombstone ({@code KV-Operation: DEL}), so jnats tools read the bucket.
 *   <li>Reads go to the stream leader ({@code STREAM.MSG.GET}), never a follower's direct get: an
 *       acknowledged write is what every node reads next.
 *   <li>A write over a revision carries the message id {@code <key>@<revision>} ({@link
 *       RevisionWrites}), so that only one write per revision is stored even on servers whose
 *       clustered revision check races.
 * </ul>
 */
final class KvWire {
    static final String STREAM = "KV_" + Buckets.SERVICE_KV;
    static final String SUBJECTS = "$KV." + Buckets.SERVICE_KV + ".";
    static final String EXPIRES = "Kiln-Expires-At";
    private static final String MSG_SIZE = "Nats-Msg-Size";

    /** JetStream's "no message found" and "wrong last sequence" API error codes. */
    private static final int NO_MESSAGE = 10037;

    /**
     * Bytes a message needs beyond its value: headers and their framing, besides the key itself,
     * which the message id repeats ({@link #headerRoom}).
     */
    private static final int HEADER_ROOM = 256;

    /** Longest bucket key: a service name (63) and the hex of a 256-byte key. */
    static final int MAX_NATS_KEY = 63 + 1 + 2 * 256;

    /** What a message for {@code natsKey} needs on top of its value. */
    static long headerRoom(String natsKey) {
        return (long) HEADER_ROOM + natsKey.length();
    }

    /** What any message needs on top of its value, at most. */
    static long maxHeaderRoom() {
        return (long) HEADER_ROOM + MAX_NATS_KEY;
    }

    private static final Duration SCAN_WAIT = Duration.ofSeconds(10);

    private static final Duration READ_WAIT = Duration.ofSeconds(10);
    private static final HexFormat HEX = HexFormat.of();

    private final Connection nc;
    private final io.nats.client.KeyValue bucket;
    private final ShortReads scans;
    private final RevisionWrites writes;

    /**
     * @param bucket the bucket, opened (created if needed) by {@link Buckets#serviceKv}; held so
     *     the stream exists before the first call
     */
    KvWire(Connection nc, io.nats.client.KeyValue bucket) throws IOException {
        if (!bucket.getBucketName().equals(Buckets.SERVICE_KV)) {
            throw new IllegalArgumentException("not the kiln-kv bucket: " + bucket.getBucketName());
        }
        this.bucket = bucket;
        this.nc = nc;
        this.scans = new ShortReads(nc);
        this.writes = new RevisionWrites(nc, bucket);
    }

    /** The bucket key of {@code key} in {@code service}'s store. */
    static String natsKey(String service, byte[] key) {
        return service + "." + HEX.formatHex(key);
    }

    static byte[] keyOf(String hex) {
        return HEX.parseHex(hex);
    }

    static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    boolean connected() {
        return nc.getStatus() == Connection.Status.CONNECTED;
    }

    /** The largest message the servers take. */
    long maxPayload() {
        return nc.getMaxPayload();
    }

    /**
     * The last message of a key, read from the stream leader.
     *
     * @param revision the key's last stream sequence (a tombstone's too), 0 when it never existed
     * @param value null when deleted or never stored
     */
    record Stored(long revision, byte[] value, long expiresAt) {
        boolean live(long now) {
            return value != null && (expiresAt == 0 || expiresAt > now);
        }
    }

    Stored read(String natsKey) throws IOException, JetStreamApiException, InterruptedException {
        // The JSON API, not jnats' getLastMessage: that uses a direct get when the stream allows
        // it, which any replica answers, a follower possibly before it has a write the leader
        // acknowledged. The leader answers this one.
        Message reply =
                nc.request(
                        "$JS.API.STREAM.MSG.GET." + STREAM,
                        MessageGetRequest.lastForSubject(SUBJECTS + natsKey)
                                .toJson()
                                .getBytes(StandardCharsets.UTF_8),
                        READ_WAIT);
        if (reply == null) {
            throw new IOException("no answer from the key-value bucket's leader");
        }
        if (reply.isStatusMessage()) {
            throw new IOException("the key-value bucket has no leader now: " + reply.getStatus());
        }
        MessageInfo m = new MessageInfo(reply, STREAM, false);
        if (m.hasError()) {
            if (m.getApiErrorCode() == NO_MESSAGE) {
                return new Stored(0, null, 0);
            }
            m.throwOnHasError();
        }
        Headers h = m.getHeaders();
        if (ShortReads.deleted(h)) {
            return new Stored(m.getSeq(), null, 0);
        }
        byte[] data = m.getData();
        return new Stored(m.getSeq(), data == null ? new byte[0] : data, expiresAt(h));
    }

    /**
     * Stores a value; {@code expectedRevision} null writes whatever is there, else only over that
     * revision (0: the key has no message yet).
     *
     * @return the new revision
     */
    long put(String natsKey, byte[] value, long expiresAt, Long expectedRevision)
            throws IOException, JetStreamApiException, RevisionWrites.Conflict {
        Headers h = null;
        if (expiresAt != 0) {
            h = new Headers().put(EXPIRES, Long.toString(expiresAt));
        }
        return writes.publish(natsKey, h, value, expectedRevision);
    }

    /** Writes a tombstone over {@code expectedRevision}. */
    long delete(String natsKey, long expectedRevision)
            throws IOException, JetStreamApiException, RevisionWrites.Conflict {
        return writes.delete(natsKey, expectedRevision);
    }

    /**
     * Removes tombstones older than {@code age} (one per deleted or expired key would otherwise
     * stay for ever). A key whose tombstone is gone has revision 0 again; {@code age} is far longer
     * than the duplicate window, so its message ids cannot collide with older ones.
     */
    void purgeTombstones(Duration age)
            throws IOException, JetStreamApiException, InterruptedException {
        var options = io.nats.client.api.KeyValuePurgeOptions.builder();
        // jnats reads a threshold of 0 as its default (30 minutes): zero here means all
        bucket.purgeDeletes(
                (age.isZero()
                                ? options.deleteMarkersNoThreshold()
                                : options.deleteMarkersThreshold(age))
                        .build());
    }

    /** A key as a listing sees it: headers only. */
    record Listed(String natsKey, long revision, long valueBytes, long expiresAt) {}

    /**
     * The live and expired (not deleted) keys under {@code filter} ({@code <service>.>} or {@code
     * >}), read from the server by an ordered consumer that delivers each key's last message
     * headers only: what the bucket holds now, without the values.
     */
    List<Listed> scan(String filter)
            throws IOException, JetStreamApiException, InterruptedException {
        List<Listed> out = new ArrayList<>();
        for (Message m :
                scans.lastPerSubject(
                        STREAM, SUBJECTS + filter, System.nanoTime() + SCAN_WAIT.toNanos())) {
            Headers h = m.getHeaders();
            if (!ShortReads.deleted(h)) {
                out.add(
                        new Listed(
                                m.getSubject().substring(SUBJECTS.length()),
                                m.metaData().streamSequence(),
                                size(h),
                                expiresAt(h)));
            }
        }
        return out;
    }

    private static long expiresAt(Headers h) {
        String v = h == null ? null : h.getFirst(EXPIRES);
        try {
            return v == null ? 0 : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return 0; // written by something else than Kiln: never expires
        }
    }

    private static long size(Headers h) {
        String v = h == null ? null : h.getFirst(MSG_SIZE);
        try {
            return v == null ? 0 : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
