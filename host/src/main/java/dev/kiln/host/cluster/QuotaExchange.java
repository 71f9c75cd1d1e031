package dev.kiln.host.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.quota.FairShares;
import dev.kiln.host.quota.QuotaShares;
import dev.kiln.host.quota.QuotaStore;
import dev.kiln.host.quota.ServiceQuota;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Service quotas counted cluster-wide (docs/adr/0058). Every {@link #INTERVAL} each node publishes,
 * on core NATS subject {@value #SUBJECT}, the demand it saw for each service with a quota and
 * recent traffic (invocations per second wanted, invocations at once wanted, in flight now); every
 * node divides each figure among the live nodes by those reports ({@link FairShares}), the same way
 * on every node, and enforces its own part. Admission reads the part from memory: nothing on the
 * invocation path touches NATS. A report older than {@link #EXPIRY} no longer counts.
 */
final class QuotaExchange implements QuotaShares, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(QuotaExchange.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    static final String SUBJECT = "kiln.quota.demand";
    static final Duration INTERVAL = Duration.ofMillis(250);
    static final Duration EXPIRY = Duration.ofSeconds(1);

    /**
     * How long a larger concurrency part waits before it applies (a smaller one applies at once):
     * two report intervals, so the report of a node whose part shrank, with what it still holds in
     * flight, has arrived by then.
     */
    static final Duration RAISE_DELAY = INTERVAL.multipliedBy(2);

    /** Intervals of this node's own demand kept: two seconds. */
    static final int HISTORY = 8;

    /** Intervals the reported rate is averaged over: one second. */
    static final int RATE_WINDOW = 4;

    /** Services per message: a report stays far below NATS' max payload. */
    static final int SERVICES_PER_MESSAGE = 500;

    /**
     * One node's report for one service, as received (own reports: as published): invocations per
     * second and at once wanted, in flight, and the concurrency part it enforced when it reported.
     */
    record Report(double perSecond, int atOnce, int inFlight, int limit, long receivedNanos) {}

    /**
     * A part, the figures it was computed for, and since when (nanoseconds, 0 for not) a larger
     * concurrency part has been waiting to apply.
     */
    private record Cached(Integer rate, Integer concurrency, Part part, long raiseSince) {}

    private final Connection nc;
    private final String node;
    private final Supplier<List<String>> livePeers;
    private final QuotaStore quotas;
    private final Map<String, Map<String, Report>> reports = new ConcurrentHashMap<>();
    private final Map<String, Cached> parts = new ConcurrentHashMap<>();
    private final Map<String, Deque<Demand>> history = new java.util.HashMap<>(); // tick thread
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(
                    r -> {
                        Thread t = new Thread(r, "kiln-cluster-quota");
                        t.setDaemon(true);
                        return t;
                    });
    private volatile Supplier<List<Demand>> demand;
    private Dispatcher dispatcher;

    QuotaExchange(Connection nc, String node, Supplier<List<String>> livePeers, QuotaStore quotas) {
        this.nc = nc;
        this.node = node;
        this.livePeers = livePeers;
        this.quotas = quotas;
    }

    /** Starts reporting {@code demand} and reading the others' reports. */
    void start(Supplier<List<Demand>> demand, Metrics metrics) {
        this.demand = demand;
        metrics.gauge(
                "kiln_quota_share",
                "This cluster node's current part of a service's quota (kind: rate = invocations"
                        + " per second, concurrency = invocations at once); the cluster divides"
                        + " each figure among its nodes by demand.",
                List.of("service", "kind"),
                sink ->
                        parts.forEach(
                                (service, c) -> {
                                    if (c.rate() != null) {
                                        sink.add(c.part().invocationsPerSecond(), service, "rate");
                                    }
                                    if (c.concurrency() != null) {
                                        sink.add(
                                                (long) c.part().concurrency(),
                                                service,
                                                "concurrency");
                                    }
                                }));
        dispatcher = nc.createDispatcher(this::received);
        dispatcher.subscribe(SUBJECT);
        var unused =
                timer.scheduleWithFixedDelay(
                        this::tick,
                        INTERVAL.toMillis(),
                        INTERVAL.toMillis(),
                        TimeUnit.MILLISECONDS);
    }

    @Override
    public Part part(String service, ServiceQuota quota) {
        Cached c = parts.get(service);
        if (c != null
                && Objects.equals(c.rate(), quota.maxInvocationsPerSecond())
                && Objects.equals(c.concurrency(), quota.maxConcurrency())) {
            return c.part();
        }
        return recompute(service, quota);
    }

    /** Publishes this node's demand, forgets stale reports and computes every part again. */
    private void tick() {
        try {
            long now = System.nanoTime();
            Map<String, Report> own = new java.util.HashMap<>();
            Map<String, Deque<Demand>> seen = new java.util.HashMap<>();
            for (Demand d : demand.get()) {
                Deque<Demand> h = history.computeIfAbsent(d.service(), k -> new ArrayDeque<>());
                h.addFirst(d);
                while (h.size() > HISTORY) {
                    h.removeLast();
                }
                seen.put(d.service(), h);
                if (h.stream().anyMatch(Demand::active)) {
                    Cached c = parts.get(d.service());
                    int limit = c == null ? 0 : c.part().concurrency();
                    own.put(d.service(), smoothed(h, limit, now));
                } else if (reports.getOrDefault(d.service(), Map.of()).containsKey(node)) {
                    // a service that went quiet is reported once more, as zero, then no longer
                    own.put(d.service(), new Report(0, 0, 0, 0, now));
                }
            }
            history.keySet().retainAll(seen.keySet());
            publish(own);
            for (var e : own.entrySet()) {
                Report r = e.getValue();
                if (r.perSecond() == 0 && r.atOnce() == 0 && r.inFlight() == 0) {
                    forget(e.getKey(), node);
                } else {
                    reports.computeIfAbsent(e.getKey(), k -> new ConcurrentHashMap<>())
                            .put(node, r);
                }
            }
            long expiry = EXPIRY.toNanos();
            reports.values()
                    .removeIf(
                            of -> {
                                of.values().removeIf(r -> now - r.receivedNanos() > expiry);
                                return of.isEmpty();
                            });
            for (String service : new ArrayList<>(parts.keySet())) {
                ServiceQuota q = quotas.get(service);
                if (q.maxInvocationsPerSecond() == null && q.maxConcurrency() == null) {
                    parts.remove(service);
                } else {
                    recompute(service, q);
                }
            }
        } catch (RuntimeException e) {
            log.warn("quota demand report failed: {}", e.toString());
        }
    }

    /**
     * What a node reports: invocations per second over the last {@link #RATE_WINDOW} intervals (one
     * second), invocations at once as the most wanted over the whole history (two seconds, longer
     * than the one-second {@code Retry-After} of a refusal, so a client that waits as told still
     * counts when it comes back), in flight now.
     */
    private static Report smoothed(Deque<Demand> h, int limit, long now) {
        long arrivals = 0;
        double seconds = 0;
        int atOnce = 0;
        int k = 0;
        for (Demand d : h) {
            if (k++ < RATE_WINDOW) {
                arrivals += d.arrivals();
                seconds += d.seconds();
            }
            atOnce = Math.max(atOnce, d.atOnce());
        }
        return new Report(
                seconds > 0 ? arrivals / seconds : 0, atOnce, h.getFirst().inFlight(), limit, now);
    }

    private void forget(String service, String from) {
        Map<String, Report> of = reports.get(service);
        if (of != null) {
            of.remove(from);
        }
    }

    private void publish(Map<String, Report> own) {
        if (own.isEmpty() || nc.getStatus() != Connection.Status.CONNECTED) {
            return;
        }
        List<String> services = new ArrayList<>(own.keySet());
        for (int from = 0; from < services.size(); from += SERVICES_PER_MESSAGE) {
            ObjectNode msg = JSON.createObjectNode().put("node", node);
            ObjectNode body = msg.putObject("services");
            for (String s :
                    services.subList(
                            from, Math.min(services.size(), from + SERVICES_PER_MESSAGE))) {
                Report r = own.get(s);
                body.putObject(s)
                        .put("r", r.perSecond())
                        .put("c", r.atOnce())
                        .put("f", r.inFlight())
                        .put("l", r.limit());
            }
            try {
                nc.publish(SUBJECT, JSON.writeValueAsBytes(msg));
            } catch (IOException | RuntimeException e) {
                log.debug("quota demand not published: {}", e.toString());
            }
        }
    }

    /** Another node's report (or goodbye): counted at once, so parts move within a transit. */
    private void received(Message m) {
        try {
            JsonNode msg = JSON.readTree(m.getData());
            String from = msg.path("node").asText("");
            if (from.isEmpty() || from.equals(node)) {
                return;
            }
            if (msg.path("bye").asBoolean(false)) {
                reports.values().forEach(of -> of.remove(from));
                parts.keySet().forEach(s -> recompute(s, quotas.get(s)));
                return;
            }
            long now = System.nanoTime();
            for (var e : msg.path("services").properties()) {
                String service = e.getKey();
                ServiceQuota q = quotas.get(service);
                if (q.maxInvocationsPerSecond() == null && q.maxConcurrency() == null) {
                    continue; // no quota here (yet): nothing to divide, nothing kept
                }
                JsonNode r = e.getValue();
                Report report =
                        new Report(
                                Math.max(0, r.path("r").asDouble(0)),
                                Math.max(0, r.path("c").asInt(0)),
                                Math.max(0, r.path("f").asInt(0)),
                                Math.max(0, r.path("l").asInt(0)),
                                now);
                reports.computeIfAbsent(service, k -> new ConcurrentHashMap<>()).put(from, report);
                recompute(service, q);
            }
        } catch (IOException | RuntimeException e) {
            log.debug("unreadable quota demand report: {}", e.toString());
        }
    }

    /**
     * This node's part of {@code quota}: the live nodes (this one, those with a fresh heartbeat,
     * those with a fresh report) sorted by name, each weighed by its last report (this node's own
     * by what it last published, as the others see it), divided by {@link FairShares}; the
     * concurrency part is also kept below what the others hold in flight.
     */
    private synchronized Part recompute(String service, ServiceQuota quota) {
        Map<String, Report> of = reports.getOrDefault(service, Map.of());
        TreeSet<String> nodes = new TreeSet<>(livePeers.get());
        nodes.add(node);
        nodes.addAll(of.keySet());
        String[] names = nodes.toArray(String[]::new);
        int self = java.util.Arrays.binarySearch(names, node);
        double rate = 0;
        if (quota.maxInvocationsPerSecond() != null) {
            double[] wanted = new double[names.length];
            for (int i = 0; i < names.length; i++) {
                Report r = of.get(names[i]);
                wanted[i] = r == null ? 0 : r.perSecond();
            }
            rate = FairShares.divide(quota.maxInvocationsPerSecond(), wanted)[self];
        }
        int slots = 0;
        if (quota.maxConcurrency() != null) {
            double[] wanted = new double[names.length];
            for (int i = 0; i < names.length; i++) {
                Report r = of.get(names[i]);
                wanted[i] = r == null ? 0 : r.atOnce();
            }
            int[] divided = FairShares.slots(quota.maxConcurrency(), wanted);
            // Slots another node may still fill are not handed out twice: what it holds in flight,
            // and the part it enforced when it reported (it may have admitted up to that since). A
            // part that grew waits until the node it came from has reported its smaller part and
            // finished what it held beyond it.
            long held = 0;
            for (int i = 0; i < names.length; i++) {
                if (i != self) {
                    Report r = of.get(names[i]);
                    int mayHold = r == null ? 0 : Math.max(r.inFlight(), r.limit());
                    held += Math.max(divided[i], mayHold);
                }
            }
            slots = (int) Math.max(0, Math.min(divided[self], quota.maxConcurrency() - held));
        }
        Cached was = parts.get(service);
        long raiseSince = 0;
        if (was != null
                && Objects.equals(was.concurrency(), quota.maxConcurrency())
                && slots > was.part().concurrency()) {
            // Another node may not know yet that its part shrank, or not have said what it holds
            // beyond it: a larger part waits until its reports can have come in.
            long now = System.nanoTime();
            raiseSince = was.raiseSince() != 0 ? was.raiseSince() : now;
            if (now - raiseSince < RAISE_DELAY.toNanos()) {
                slots = was.part().concurrency();
            } else {
                raiseSince = 0;
            }
        }
        Part part = new Part(rate, slots);
        parts.put(
                service,
                new Cached(
                        quota.maxInvocationsPerSecond(), quota.maxConcurrency(), part, raiseSince));
        return part;
    }

    /** Tells the others this node is gone, so its demand stops counting at once. */
    @Override
    public void close() {
        timer.shutdownNow();
        if (nc.getStatus() == Connection.Status.CONNECTED) {
            try {
                nc.publish(
                        SUBJECT,
                        JSON.writeValueAsBytes(
                                JSON.createObjectNode().put("node", node).put("bye", true)));
            } catch (IOException | RuntimeException e) {
                log.debug("quota goodbye not published: {}", e.toString());
            }
        }
        if (dispatcher != null) {
            nc.closeDispatcher(dispatcher);
        }
    }
}
