package dev.kiln.host;

import dev.kiln.host.config.AdminTokens;
import dev.kiln.host.config.DataDirLock;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.deploy.Deployer;
import dev.kiln.host.events.Events;
import dev.kiln.host.http.KilnServer;
import dev.kiln.host.invoke.Invoker;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.observability.RecordRetention;
import dev.kiln.host.pool.InstancePool;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.triggers.Triggers;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/** A running Kiln host: wires storage, sandbox, pool, invoker and HTTP server together. */
public final class KilnHost implements AutoCloseable {
    private final Registry registry;
    private final InvocationStore records;
    private final Invoker invoker;
    private final Events events;
    private final Triggers triggers;
    private final KilnServer server;
    private final AdminTokens.Resolved token;
    private final DataDirLock lock;

    private KilnHost(
            DataDirLock lock,
            Registry registry,
            InvocationStore records,
            Invoker invoker,
            Events events,
            Triggers triggers,
            KilnServer server,
            AdminTokens.Resolved token) {
        this.registry = registry;
        this.records = records;
        this.invoker = invoker;
        this.events = events;
        this.triggers = triggers;
        this.server = server;
        this.token = token;
        this.lock = lock;
    }

    public static KilnHost start(KilnConfig config) throws IOException {
        Files.createDirectories(config.dataDir());
        DataDirLock lock = DataDirLock.acquire(config.dataDir());
        // On a failed start, close what was opened so far, newest first.
        Deque<AutoCloseable> opened = new ArrayDeque<>();
        opened.push(lock);
        try {
            AdminTokens.Resolved token = AdminTokens.resolve(config.adminToken(), config.dataDir());
            Registry registry = Registry.open(config.dataDir());
            opened.push(registry);
            InvocationStore records =
                    InvocationStore.open(
                            config.dataDir(),
                            new RecordRetention(
                                    config.recordsPerFunction(),
                                    config.recordMaxAge(),
                                    RecordRetention.DEFAULTS.queueCapacity(),
                                    RecordRetention.DEFAULTS.maxBatch(),
                                    RecordRetention.DEFAULTS.flushInterval()));
            opened.push(records);
            InstancePool pool =
                    new InstancePool(
                            new ModuleCompiler(config.dataDir().resolve("compiled")),
                            config.workerThreads());
            Invoker invoker = new Invoker(config, registry, pool, records);
            opened.push(invoker);
            Deployer deployer = new Deployer(config, registry, pool, invoker);
            Events events =
                    Events.start(
                            config.dataDir(), config.eventLimits(), registry, invoker, records);
            opened.push(events);
            Triggers triggers = Triggers.start(config.dataDir(), events, registry);
            opened.push(triggers);
            KilnServer server =
                    KilnServer.start(
                            config,
                            token.token(),
                            registry,
                            deployer,
                            invoker,
                            records,
                            events,
                            triggers);
            return new KilnHost(lock, registry, records, invoker, events, triggers, server, token);
        } catch (IOException | RuntimeException e) {
            for (AutoCloseable c : opened) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    public int port() {
        return server.port();
    }

    public AdminTokens.Resolved adminToken() {
        return token;
    }

    /** Waits until every invocation record submitted so far is stored. */
    public void flushRecords() {
        records.flush();
    }

    /**
     * Stops in dependency order: no new requests, no new timer fires, running events finish (up to
     * a grace period; the rest stay queued), then workers and storage.
     */
    @Override
    public void close() {
        server.close();
        triggers.close();
        events.stopDispatching(Duration.ofSeconds(10));
        invoker.close();
        events.close();
        records.close();
        registry.close();
        try {
            lock.close();
        } catch (IOException e) {
            // The lock goes with the process anyway.
        }
    }
}
