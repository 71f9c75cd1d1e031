package dev.kiln.host.cluster;

import dev.kiln.host.observability.InvocationRecord;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.observability.ReplicationPosition;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the {@code KILN_RECORDS} stream (docs/adr/0057) into this node's {@code records.db}: every
 * message but those this file published itself, each stored by {@link InvocationStore#ingest}
 * together with its stream sequence, so records, logs, usage, statistics and log followers on this
 * node show the whole cluster. After a restart it resumes after the sequence stored last; a node
 * with a new {@code records.db} starts from the stream's first message. An ordered consumer, made
 * again from the last sequence handled after NATS comes back.
 */
final class RecordIngest implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RecordIngest.class);

    private final Connection nc;
    private final JetStream js;
    private final InvocationStore store;
    private final String origin;
    private final Object lock = new Object();
    private long handled; // the last stream sequence handled; guarded by lock
    private Dispatcher dispatcher; // guarded by this

    RecordIngest(Connection nc, InvocationStore store) throws IOException {
        this.nc = nc;
        this.js = nc.jetStream(Buckets.JS_OPTIONS);
        this.store = store;
        ReplicationPosition state = store.replicated(Buckets.RECORDS);
        this.origin = state.origin();
        this.handled = state.position();
        try {
            long last =
                    nc.jetStreamManagement(Buckets.JS_OPTIONS)
                            .getStreamInfo(Buckets.RECORDS)
                            .getStreamState()
                            .getLastSequence();
            if (last < handled) {
                // The stream was made anew: its sequences start over.
                log.warn(
                        "records stream is at {}, behind the {} read before: reading it from the"
                                + " start",
                        last,
                        handled);
                handled = 0;
            }
        } catch (JetStreamApiException e) {
            throw new IOException("cannot read the stream " + Buckets.RECORDS, e);
        }
    }

    /** The id this node's records are published under ({@link RecordPublisher#ORIGIN_HEADER}). */
    String origin() {
        return origin;
    }

    /** Starts reading after the last sequence handled. */
    synchronized void start() throws IOException {
        long from;
        synchronized (lock) {
            from = handled + 1;
        }
        Dispatcher d = nc.createDispatcher();
        try {
            js.subscribe(
                    Buckets.RECORD_SUBJECTS,
                    d,
                    this::handle,
                    false,
                    PushSubscribeOptions.builder().stream(Buckets.RECORDS)
                            .ordered(true)
                            .configuration(
                                    ConsumerConfiguration.builder()
                                            .deliverPolicy(DeliverPolicy.ByStartSequence)
                                            .startSequence(from)
                                            .build())
                            .build());
        } catch (JetStreamApiException | IOException | RuntimeException e) {
            nc.closeDispatcher(d);
            throw e instanceof IOException io
                    ? io
                    : new IOException("cannot read the stream " + Buckets.RECORDS, e);
        }
        dispatcher = d;
        log.debug("reading the records stream from sequence {}", from);
    }

    /**
     * After NATS came back: a new consumer from the sequence after the last one handled (a server
     * that restarted may have lost the old one; see {@link BucketWatch#rewatch}).
     */
    void rewatch() {
        for (int attempt = 1; attempt <= 60; attempt++) {
            if (nc.getStatus() == Connection.Status.CONNECTED) {
                try {
                    synchronized (this) {
                        stop();
                        start();
                    }
                    return;
                } catch (IOException | RuntimeException e) {
                    log.warn("records stream not read again yet (retrying): {}", e.toString());
                }
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        log.error("records stream not read again after 60 attempts; restart this node");
    }

    /** One message, on the dispatcher's thread, in stream order. */
    private void handle(Message m) {
        long seq = m.metaData().streamSequence();
        synchronized (lock) {
            if (seq <= handled) {
                return; // delivered again by a consumer made anew
            }
            handled = seq;
            if (m.getHeaders() != null
                    && origin.equals(m.getHeaders().getFirst(RecordPublisher.ORIGIN_HEADER))) {
                return; // this node's own, already stored
            }
            List<InvocationRecord> records;
            try {
                String node = m.getSubject().substring(Buckets.RECORD_SUBJECT_PREFIX.length());
                records = RecordMessages.unpack(m.getData(), node);
            } catch (IOException e) {
                log.error(
                        "records message {} on {} skipped: {}", seq, m.getSubject(), e.toString());
                records = List.of();
            }
            store.ingest(records, Buckets.RECORDS, seq);
        }
    }

    private synchronized void stop() {
        if (dispatcher != null) {
            try {
                nc.closeDispatcher(dispatcher);
            } catch (RuntimeException e) {
                log.debug("closing the records reader: {}", e.toString());
            }
            dispatcher = null;
        }
    }

    @Override
    public void close() {
        stop();
    }
}
