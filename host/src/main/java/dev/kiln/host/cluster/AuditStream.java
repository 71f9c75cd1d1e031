package dev.kiln.host.cluster;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StreamState;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The cluster's audit log (docs/adr/0058): the stream {@value #STREAM}, one message per entry on
 * {@code kiln.audit.<node>}, kept as long and as many as the audit retention says (max age, max
 * messages; the oldest go first), R3 with three servers like the other streams. Entries are opaque
 * bytes here (the access package encodes them). Listing reads the newest entries back through an
 * ordered consumer, so any node lists every node's entries.
 */
public final class AuditStream {
    static final String STREAM = "KILN_AUDIT";
    static final String SUBJECTS = "kiln.audit.>";

    /** How long a batch's publish acknowledgements, or a listing, may take. */
    static final Duration WAIT = Duration.ofSeconds(10);

    private final Connection nc;
    private final JetStream js;
    private final ShortReads reads;
    private final JetStreamManagement jsm;
    private final String subject;

    AuditStream(Connection nc, String node, int replicas, Duration maxAge, long maxEntries)
            throws IOException {
        this.nc = nc;
        this.js = nc.jetStream(Buckets.JS_OPTIONS);
        this.reads = new ShortReads(nc);
        this.jsm = nc.jetStreamManagement(Buckets.JS_OPTIONS);
        this.subject = "kiln.audit." + node.replaceAll("[^A-Za-z0-9_-]", "_");
        Buckets.audit(nc, replicas, maxAge, maxEntries);
    }

    /** Stores {@code entries}, oldest first; returns once JetStream has acknowledged them all. */
    public void publish(List<byte[]> entries) throws IOException, InterruptedException {
        connected();
        List<CompletableFuture<PublishAck>> acks = new ArrayList<>(entries.size());
        for (byte[] e : entries) {
            acks.add(js.publishAsync(subject, e));
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (CompletableFuture<PublishAck> ack : acks) {
            try {
                ack.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new IOException("the audit stream did not acknowledge an entry", e);
            }
        }
    }

    /** The newest {@code limit} entries of every node, newest first. */
    public List<byte[]> newest(int limit) throws IOException, InterruptedException {
        connected();
        StreamState state;
        try {
            state = jsm.getStreamInfo(STREAM).getStreamState();
        } catch (JetStreamApiException e) {
            throw new IOException("cannot read the audit stream", e);
        }
        long last = state.getLastSequence();
        if (state.getMsgCount() == 0 || last == 0) {
            return List.of();
        }
        long from = Math.max(state.getFirstSequence(), last - limit + 1);
        List<byte[]> out = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        JetStreamSubscription sub;
        try {
            sub =
                    reads.subscribe(
                            SUBJECTS,
                            PushSubscribeOptions.builder().stream(STREAM)
                                    .ordered(true)
                                    .configuration(
                                            ConsumerConfiguration.builder()
                                                    .deliverPolicy(DeliverPolicy.ByStartSequence)
                                                    .startSequence(from)
                                                    .build())
                                    .build(),
                            deadline);
        } catch (JetStreamApiException e) {
            throw new IOException("cannot read the audit stream", e);
        }
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("reading the audit stream took longer than " + WAIT);
                }
                Message m = sub.nextMessage(Duration.ofNanos(left));
                if (m == null) {
                    continue;
                }
                if (!m.isJetStream()) {
                    continue; // a status or heartbeat message
                }
                out.add(m.getData());
                if (m.metaData().streamSequence() >= last || out.size() >= limit) {
                    break;
                }
            }
        } finally {
            ShortReads.close(sub);
        }
        Collections.reverse(out);
        return out;
    }

    /** Without NATS, at once: the audit writer and a listing must not wait out a timeout. */
    private void connected() throws IOException {
        if (nc.getStatus() != Connection.Status.CONNECTED) {
            throw new IOException("not connected to NATS");
        }
    }

    @Override
    public String toString() {
        return STREAM + " on " + nc.getConnectedUrl();
    }
}
