package dev.kiln.host.cluster;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamOptions;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Ordered consumers for reads that last a moment (a key listing, the newest audit entries): the
 * first attempt to create one waits {@link #FIRST_CREATE_WAIT}, later ones {@link #CREATE_WAIT},
 * until the read's deadline. nats-server 2.9 places a new consumer on any replica of the stream,
 * one that is down included; such a create is never answered, while the next lands on a live one
 * (measured in {@code ClusterFaultTest}: with one of three servers killed, listings failed after
 * their 10 s wait for over a minute, docs/adr/0055). The first try waits 5 s because a create can
 * also just be slow on a loaded machine (CI runs that gave every try 2 s saw listings of a healthy
 * cluster spend their whole 10 s on abandoned creates); one not answered in 5 s is more likely
 * lost, so the tries after it wait 2.5 s.
 */
final class ShortReads {
    static final Duration FIRST_CREATE_WAIT = Duration.ofSeconds(5);
    static final Duration CREATE_WAIT = Duration.ofMillis(2_500);

    /** How long a read waits for its next message before it asks the server what is left. */
    private static final Duration QUIET = Duration.ofSeconds(1);

    /** How long a read may take in all, as jnats' own requests wait (Buckets.JS_OPTIONS). */
    static final Duration READ_WAIT = Duration.ofSeconds(10);

    private final JetStream first;
    private final JetStream again;

    ShortReads(Connection nc) throws IOException {
        this.first =
                nc.jetStream(JetStreamOptions.builder().requestTimeout(FIRST_CREATE_WAIT).build());
        this.again = nc.jetStream(JetStreamOptions.builder().requestTimeout(CREATE_WAIT).build());
    }

    /**
     * A new ordered consumer on {@code subject}, created by {@code deadlineNanos} ({@link
     * System#nanoTime}) or the last attempt's failure thrown.
     */
    JetStreamSubscription subscribe(
            String subject, PushSubscribeOptions options, long deadlineNanos)
            throws IOException, JetStreamApiException {
        JetStream js = first;
        while (true) {
            try {
                return js.subscribe(subject, options);
            } catch (IOException e) {
                long left = deadlineNanos - System.nanoTime();
                // unanswered: perhaps placed on a server that is down; a new consumer
                if (left < CREATE_WAIT.toNanos()) {
                    throw e;
                }
                js = again;
            }
        }
    }

    /**
     * The last message of every subject under {@code filter} in {@code stream}, headers only, in
     * stream order: what a key-value bucket holds now (deleted keys' markers included), read by
     * {@code deadlineNanos}.
     */
    List<Message> lastPerSubject(String stream, String filter, long deadlineNanos)
            throws IOException, JetStreamApiException, InterruptedException {
        JetStreamSubscription sub =
                subscribe(
                        filter,
                        PushSubscribeOptions.builder().stream(stream)
                                .ordered(true)
                                .configuration(
                                        ConsumerConfiguration.builder()
                                                .headersOnly(true)
                                                .deliverPolicy(DeliverPolicy.LastPerSubject)
                                                .build())
                                .build(),
                        deadlineNanos);
        List<Message> out = new ArrayList<>();
        try {
            if (sub.getConsumerInfo().getCalculatedPending() == 0) {
                return out;
            }
            while (true) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("reading " + stream + " timed out");
                }
                Message m = sub.nextMessage(Duration.ofNanos(Math.min(left, QUIET.toNanos())));
                if (m == null) {
                    // Nothing for a while: a message counted at the start may have been replaced
                    // or purged since (a sweep, a delete), so ask the server what is left.
                    if (sub.getConsumerInfo().getCalculatedPending() == 0) {
                        return out;
                    }
                    continue;
                }
                if (!m.isJetStream()) {
                    continue; // a status or heartbeat message
                }
                out.add(m);
                if (m.metaData().pendingCount() == 0) {
                    return out;
                }
            }
        } finally {
            close(sub);
        }
    }

    /**
     * The live keys of the key-value bucket {@code bucket} matching {@code filter} ({@code >} for
     * all), as jnats' {@code KeyValue.keys} gives them, by {@code deadlineNanos}.
     */
    List<String> keys(String bucket, String filter, long deadlineNanos)
            throws IOException, JetStreamApiException, InterruptedException {
        String prefix = "$KV." + bucket + ".";
        List<String> keys = new ArrayList<>();
        for (Message m : lastPerSubject("KV_" + bucket, prefix + filter, deadlineNanos)) {
            if (!deleted(m.getHeaders())) {
                keys.add(m.getSubject().substring(prefix.length()));
            }
        }
        return keys;
    }

    /** Whether a key-value message marks its key deleted or purged. */
    static boolean deleted(Headers h) {
        String op = h == null ? null : h.getFirst("KV-Operation");
        return op != null && (op.equals("DEL") || op.equals("PURGE"));
    }

    /** Ends a read's consumer; the server drops it itself when the connection is gone. */
    static void close(JetStreamSubscription sub) {
        if (sub == null) {
            return;
        }
        try {
            sub.unsubscribe();
        } catch (RuntimeException e) {
            // the connection closed meanwhile: the server drops the consumer itself
        }
    }
}
