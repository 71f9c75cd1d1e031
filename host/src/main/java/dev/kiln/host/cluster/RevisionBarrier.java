package dev.kiln.host.cluster;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongPredicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-your-writes across nodes (docs/adr/0048): after a write to a bucket (the registry, or the
 * documents of docs/adr/0054, each with its own barrier and subject), the node that made it asks
 * every live node to confirm that its watch has applied the write's revision, and answers the
 * client only then (or after {@link #WAIT}, logging who did not confirm). A node confirms from a
 * virtual thread once its own copy is that fresh. Measured on nats-server 2.9: a put reaches a
 * watch on another server in ~0.8 ms, but a read right after the write could be stale; this closes
 * that window for every node that is reachable.
 */
final class RevisionBarrier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RevisionBarrier.class);

    static final String SUBJECT = "kiln.registry.applied";

    /** The longest a write waits for the other nodes. */
    static final Duration WAIT = Duration.ofSeconds(2);

    private final Connection nc;
    private final String name;
    private final Supplier<List<String>> peers;
    private final Dispatcher dispatcher;
    private final String subject;

    /** The registry's barrier. */
    RevisionBarrier(
            Connection nc, String name, Supplier<List<String>> peers, LongPredicate appliedWithin) {
        this(nc, SUBJECT, name, peers, appliedWithin);
    }

    /**
     * @param subject where this barrier's questions go: one per bucket, whose revisions they are
     * @param appliedWithin whether this node's copy reaches a revision within the barrier's wait
     */
    RevisionBarrier(
            Connection nc,
            String subject,
            String name,
            Supplier<List<String>> peers,
            LongPredicate appliedWithin) {
        this.nc = nc;
        this.subject = subject;
        this.name = name;
        this.peers = peers;
        this.dispatcher =
                nc.createDispatcher(
                        msg -> {
                            String reply = msg.getReplyTo();
                            long revision = parse(msg);
                            if (reply == null || revision < 0) {
                                return;
                            }
                            Thread.ofVirtual()
                                    .name("kiln-registry-confirm")
                                    .start(
                                            () -> {
                                                if (appliedWithin.test(revision)) {
                                                    nc.publish(
                                                            reply,
                                                            name.getBytes(StandardCharsets.UTF_8));
                                                }
                                            });
                        });
        dispatcher.subscribe(subject);
    }

    private static long parse(Message msg) {
        try {
            return Long.parseLong(new String(msg.getData(), StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Returns once every live peer has confirmed {@code revision}, or after {@link #WAIT}. Returns
     * the peers that did not confirm.
     */
    Set<String> await(long revision) {
        Set<String> waiting = new HashSet<>(peers.get());
        if (waiting.isEmpty() || nc.getStatus() != Connection.Status.CONNECTED) {
            return waiting;
        }
        String inbox = nc.createInbox();
        Subscription sub = nc.subscribe(inbox);
        try {
            nc.publish(subject, inbox, Long.toString(revision).getBytes(StandardCharsets.US_ASCII));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!waiting.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                Message m = sub.nextMessage(Duration.ofNanos(left));
                if (m == null) {
                    break;
                }
                waiting.remove(new String(m.getData(), StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sub.unsubscribe();
        }
        if (!waiting.isEmpty()) {
            log.warn(
                    "{} revision {} not confirmed by {} within {} ms: they may answer from an"
                            + " older copy until their watch catches up",
                    subject,
                    revision,
                    waiting,
                    WAIT.toMillis());
        }
        return waiting;
    }

    @Override
    public void close() {
        try {
            nc.closeDispatcher(dispatcher);
        } catch (RuntimeException e) {
            log.debug("closing the barrier's dispatcher: {}", e.toString());
        }
    }

    String name() {
        return name;
    }
}
