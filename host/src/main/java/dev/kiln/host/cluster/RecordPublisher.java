package dev.kiln.host.cluster;

import dev.kiln.host.observability.InvocationRecord;
import dev.kiln.host.observability.LogGate;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.observability.RecordReplication;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.PublishOptions;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the records this node ran to the {@code KILN_RECORDS} stream (docs/adr/0057), off the
 * request path: the record writer hands each committed batch over without waiting ({@link
 * #committed}), one thread of this class packs them into messages under the connection's largest
 * payload and publishes them. While NATS is unreachable the records wait in a bounded queue and go
 * once it is back; what does not fit the queue, or what JetStream refuses, is counted in {@code
 * kiln_records_unreplicated_total} and logged at most once a minute. The node's own copy in {@code
 * records.db} is written either way.
 */
final class RecordPublisher implements RecordReplication, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RecordPublisher.class);

    /** The header naming the {@code records.db} a message's records came from. */
    static final String ORIGIN_HEADER = "Kiln-Records-Origin";

    /** Records packed into one round of messages at most. */
    private static final int MAX_ROUND = 2048;

    /** Room left in a message for its headers and the protocol line. */
    private static final int HEADROOM = 1024;

    private static final int PUBLISH_TRIES = 3;

    /** How long closing waits for the queued records to be published. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private final Connection nc;
    private final JetStream js;
    private final String node;
    private final String subject;
    private final String origin;
    // Message ids the stream de-duplicates a retried publish by; unique per run of the node.
    private final String idPrefix = UUID.randomUUID().toString();
    private long published; // the publishing thread only
    private final BlockingQueue<InvocationRecord> queue;
    private final AtomicLong unreplicated = new AtomicLong();
    private final LogGate warnings = new LogGate(Duration.ofMinutes(1));
    private final Thread thread;
    private volatile boolean closing;
    private volatile long closeDeadline;

    RecordPublisher(Connection nc, String node, String origin, int queueCapacity, Metrics metrics)
            throws IOException {
        this.nc = nc;
        this.js = nc.jetStream(Buckets.JS_OPTIONS);
        this.node = node;
        this.subject = Buckets.RECORD_SUBJECT_PREFIX + node;
        this.origin = origin;
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        metrics.counter(
                "kiln_records_unreplicated_total",
                "Invocation records this node stored but did not publish to the cluster's records"
                        + " stream (queue full, or JetStream refused them); other nodes do not show"
                        + " them.",
                List.of(),
                sink -> sink.add(unreplicated.get()));
        metrics.gauge(
                "kiln_records_replication_queued",
                "Invocation records stored on this node and waiting to be published to the"
                        + " cluster's records stream.",
                List.of(),
                sink -> sink.add(queue.size()));
        this.thread = Thread.ofPlatform().daemon().name("kiln-record-publisher").start(this::run);
    }

    @Override
    public void committed(List<InvocationRecord> records) {
        for (InvocationRecord r : records) {
            if (!queue.offer(r)) {
                lost(1, "the queue of records to publish is full");
            }
        }
    }

    /** Records not published (for tests and the metric). */
    long unreplicated() {
        return unreplicated.get();
    }

    /** Records waiting in the queue (not the round being published). */
    int queued() {
        return queue.size();
    }

    private void run() {
        List<InvocationRecord> round = new ArrayList<>();
        while (!closing || !queue.isEmpty()) {
            try {
                InvocationRecord first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                round.add(first);
                queue.drainTo(round, MAX_ROUND - 1);
                int budget = (int) Math.max(4096, nc.getMaxPayload() - HEADROOM);
                for (RecordMessages.Packed p : RecordMessages.pack(round, budget, node)) {
                    send(p);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                lost(round.size(), "publishing them failed: " + e);
            } finally {
                round.clear();
            }
        }
    }

    /** Publishes one message, waiting while NATS is away (the queue fills meanwhile). */
    private void send(RecordMessages.Packed p) throws InterruptedException {
        Headers headers = new Headers().put(ORIGIN_HEADER, origin);
        var options =
                PublishOptions.builder()
                        .messageId(idPrefix + "-" + ++published)
                        .expectedStream(Buckets.RECORDS)
                        .build();
        int tries = 0;
        while (true) {
            if (closing && System.nanoTime() > closeDeadline) {
                lost(p.records(), "the node closed before NATS took them");
                return;
            }
            if (nc.getStatus() != Connection.Status.CONNECTED) {
                Thread.sleep(250);
                continue;
            }
            try {
                js.publish(subject, headers, p.body(), options);
                return;
            } catch (JetStreamApiException e) {
                lost(p.records(), "JetStream refused them: " + e.getMessage());
                return;
            } catch (IOException e) {
                // Timed out or the connection dropped: the same message id again, so the stream
                // keeps one copy if the first try was stored after all.
                if (++tries >= PUBLISH_TRIES && nc.getStatus() == Connection.Status.CONNECTED) {
                    lost(p.records(), "publishing timed out " + tries + " times: " + e);
                    return;
                }
                Thread.sleep(500);
            }
        }
    }

    private void lost(int n, String why) {
        unreplicated.addAndGet(n);
        if (warnings.pass()) {
            log.warn(
                    "{} invocation records not published to the cluster ({}); other nodes will not"
                            + " show them ({} so far, see kiln_records_unreplicated_total)",
                    n,
                    why,
                    unreplicated.get());
        }
    }

    /** Publishes what is queued, waiting up to {@link #CLOSE_WAIT}, then stops. */
    @Override
    public void close() {
        closeDeadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        closing = true;
        try {
            thread.join(CLOSE_WAIT.plusSeconds(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int left = queue.size();
        if (left > 0) {
            queue.clear();
            lost(left, "the node closed before NATS took them");
        }
    }
}
