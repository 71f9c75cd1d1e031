package dev.kiln.host.cluster;

import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.invoke.InvocationRequest;
import dev.kiln.host.invoke.InvocationResult;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.registry.Qualifier;
import dev.kiln.host.registry.Registry;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Subscription;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Overflow between nodes (docs/adr/0056). A node with a free worker is subscribed, in the queue
 * group {@value #QUEUE}, to {@code kiln.invoke.zone.<its zone>} and to {@value #ANY_ZONE}; a node
 * that refuses a synchronous invocation for want of capacity asks its own zone's subject first,
 * then any zone's, by NATS request-reply, and answers its client with what the node that ran it
 * answered. A forwarded invocation is never forwarded again, and carries what is left of its budget
 * (queueWait plus the function's timeout, counted from its arrival on the first node).
 */
final class InvocationForwarding implements Overflow, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(InvocationForwarding.class);

    static final String QUEUE = "kiln-room";
    static final String ANY_ZONE = "kiln.invoke.any";

    /** How often a node checks whether it has room, subscribing or unsubscribing to match. */
    static final Duration ROOM_CHECK = Duration.ofMillis(20);

    /** Time the answer of a forwarded call may take on the way back, past the call's deadline. */
    static final Duration REPLY_GRACE = Duration.ofSeconds(1);

    private final Connection nc;
    private final String node;
    private final String zoneSubject;
    private final Invoker invoker;
    private final Registry registry;
    private final KilnConfig config;
    private final Metrics.Counter forwarded;
    private final Dispatcher dispatcher;
    private final ScheduledExecutorService roomCheck =
            Executors.newSingleThreadScheduledExecutor(
                    r -> {
                        Thread t = new Thread(r, "kiln-cluster-room");
                        t.setDaemon(true);
                        return t;
                    });
    private volatile List<Subscription> subscriptions; // changed on the room-check thread only

    InvocationForwarding(
            Connection nc,
            String node,
            String zone,
            Invoker invoker,
            Registry registry,
            KilnConfig config,
            Metrics metrics) {
        this.nc = nc;
        this.node = node;
        this.zoneSubject = "kiln.invoke.zone." + zone.replaceAll("[^A-Za-z0-9_-]", "_");
        this.invoker = invoker;
        this.registry = registry;
        this.config = config;
        this.forwarded =
                metrics.counter(
                        "kiln_forwarded_total",
                        "Synchronous invocations forwarded between cluster nodes for want of room"
                                + " (way: out = sent by this node, in = run for another; result:"
                                + " ran, no_room, too_large, timeout, failed).",
                        "way",
                        "result");
        metrics.gauge(
                "kiln_forwarding_open",
                "1 while this cluster node has a free worker and takes invocations other nodes"
                        + " forward for want of room, else 0.",
                List.of(),
                sink -> sink.add(subscriptions == null ? 0 : 1));
        this.dispatcher = nc.createDispatcher();
        var unused =
                roomCheck.scheduleWithFixedDelay(
                        this::matchSubscriptionsToRoom,
                        0,
                        ROOM_CHECK.toMillis(),
                        TimeUnit.MILLISECONDS);
    }

    /**
     * Subscribed while a worker is free, not subscribed while none is: a full node gets no
     * forwarded calls, and when no node has room a request meets no responders at once.
     */
    private void matchSubscriptionsToRoom() {
        try {
            boolean room = invoker.hasRoom() && nc.getStatus() == Connection.Status.CONNECTED;
            if (room && subscriptions == null) {
                subscriptions =
                        List.of(
                                dispatcher.subscribe(zoneSubject, QUEUE, this::onForwarded),
                                dispatcher.subscribe(ANY_ZONE, QUEUE, this::onForwarded));
            } else if (!room && subscriptions != null) {
                subscriptions.forEach(dispatcher::unsubscribe);
                subscriptions = null;
            }
        } catch (RuntimeException e) {
            log.warn("node {} could not change its overflow subscriptions", node, e);
        }
    }

    @Override
    public Consumer<InvocationResult> answerOrForward(
            InvocationRequest request, long arrivedNanos, Consumer<InvocationResult> answer) {
        return result -> {
            if (result.refusedForCapacity() && request.forwarded() == null) {
                // Blocks on request-reply: off the worker or caller thread that refused it.
                Thread.ofVirtual()
                        .name("kiln-forward")
                        .start(() -> answer.accept(forward(request, arrivedNanos, result)));
            } else {
                answer.accept(result.answeredBy(node));
            }
        };
    }

    private InvocationResult forward(
            InvocationRequest request, long arrivedNanos, InvocationResult refused) {
        long budgetEnd =
                arrivedNanos + (config.queueWait().toMillis() + timeoutMs(request)) * 1_000_000;
        long probe = ForwardMessages.request(request, node, 0).length;
        if (probe > nc.getMaxPayload()) {
            forwarded.inc("out", "too_large");
            return local(
                    new InvocationOutcome.Overloaded(
                            "this node has no room, and the payload is too large to forward to"
                                    + " another node: "
                                    + probe
                                    + " bytes with its request over NATS' max payload of "
                                    + nc.getMaxPayload()
                                    + " bytes; retry later, or send a smaller payload"),
                    request);
        }
        boolean askedAgain = false;
        for (String subject : new String[] {zoneSubject, ANY_ZONE, ANY_ZONE}) {
            long remainingMs = (budgetEnd - System.nanoTime()) / 1_000_000;
            if (remainingMs <= 0) {
                return timedOut(request);
            }
            long sentAt = System.nanoTime();
            try {
                Message reply =
                        nc.requestWithTimeout(
                                        subject,
                                        ForwardMessages.request(request, node, remainingMs),
                                        Duration.ofMillis(remainingMs).plus(REPLY_GRACE))
                                .get(
                                        remainingMs + 2 * REPLY_GRACE.toMillis(),
                                        TimeUnit.MILLISECONDS);
                InvocationResult result =
                        ForwardMessages.reply(reply.getData(), request.requestId());
                if (result != null) {
                    forwarded.inc("out", "ran");
                    return result;
                }
                askedAgain = true; // it filled up since it subscribed: one more node, maybe
            } catch (CancellationException e) {
                // jnats cancels a request on "no responders" at once, and one past its timeout.
                if ((System.nanoTime() - sentAt) / 1_000_000 >= remainingMs) {
                    return timedOut(request);
                }
                if (subject.equals(ANY_ZONE) && !askedAgain) {
                    break; // no node of any zone has room
                }
            } catch (TimeoutException e) {
                return timedOut(request);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (ExecutionException | IOException | RuntimeException e) {
                log.warn("node {} could not forward {}", node, request.requestId(), e);
                forwarded.inc("out", "failed");
                return refused.answeredBy(node);
            }
        }
        forwarded.inc("out", "no_room");
        String why = ((InvocationOutcome.Failure) refused.outcome()).message();
        return local(
                new InvocationOutcome.Overloaded(why + "; no other node of the cluster has room"),
                request);
    }

    /** The function's timeout as this node knows it, capped as the invoker caps it. */
    private long timeoutMs(InvocationRequest r) {
        long max = config.maxTimeout().toMillis();
        try {
            var target =
                    registry.target(
                            r.service(), r.function(), Qualifier.parse(r.qualifier()), r.pin(), 0);
            return Math.min(target.settings().timeoutMs(), max);
        } catch (RuntimeException e) {
            return max; // gone meanwhile: the node that gets it answers for it
        }
    }

    private InvocationResult timedOut(InvocationRequest request) {
        forwarded.inc("out", "timeout");
        return local(
                new InvocationOutcome.Timeout(
                        "forwarded to another node for want of room here, and not answered"
                                + " within the invocation's deadline"),
                request);
    }

    private InvocationResult local(InvocationOutcome outcome, InvocationRequest request) {
        return new InvocationResult(request.requestId(), outcome, 0, 0, 0, null, node);
    }

    /** A call forwarded here, on the dispatcher's thread: it only checks and queues the work. */
    private void onForwarded(Message m) {
        String replyTo = m.getReplyTo();
        if (replyTo == null) {
            return;
        }
        InvocationRequest request;
        try {
            request = ForwardMessages.request(m.getData(), System.nanoTime());
        } catch (IOException | RuntimeException e) {
            forwarded.inc("in", "failed");
            reply(replyTo, failed(ErrorCode.BAD_REQUEST, "a malformed forwarded call", null));
            return;
        }
        // Full since the last room check: the caller asks another node. A node that has room
        // again by the time its own forwarded call reaches it runs it (it is forwarded no more).
        if (!invoker.hasRoom()) {
            forwarded.inc("in", "no_room");
            nc.publish(replyTo, ForwardMessages.noRoom(node));
            return;
        }
        forwarded.inc("in", "ran");
        try {
            invoker.submit(request, result -> reply(replyTo, result));
        } catch (KilnException e) {
            reply(replyTo, failed(e.code(), e.getMessage(), request.requestId()));
        } catch (RuntimeException e) {
            log.error("forwarded call {} failed on node {}", request.requestId(), node, e);
            reply(replyTo, failed(ErrorCode.INTERNAL, "internal error on " + node, null));
        }
    }

    private static InvocationResult failed(ErrorCode code, String message, String requestId) {
        return new InvocationResult(
                requestId, ForwardMessages.failure(code.wire(), message, 1), 0, 0, 0, null);
    }

    private void reply(String replyTo, InvocationResult result) {
        byte[] answer = ForwardMessages.reply(result, node);
        if (answer.length > nc.getMaxPayload()) {
            // It ran here; its answer cannot travel back in one message.
            answer =
                    ForwardMessages.reply(
                            new InvocationResult(
                                    result.requestId(),
                                    new InvocationOutcome.OutputLimit(
                                            "the function ran on node "
                                                    + node
                                                    + " (forwarded for want of room), but its"
                                                    + " response of "
                                                    + answer.length
                                                    + " bytes is over NATS' max payload of "
                                                    + nc.getMaxPayload()
                                                    + " bytes"),
                                    result.version(),
                                    result.durationMicros(),
                                    result.fuel(),
                                    result.startKind()),
                            node);
        }
        nc.publish(replyTo, answer);
    }

    @Override
    public void close() {
        roomCheck.shutdownNow();
        try {
            nc.closeDispatcher(dispatcher);
        } catch (RuntimeException e) {
            // the connection is closing anyway
        }
    }
}
