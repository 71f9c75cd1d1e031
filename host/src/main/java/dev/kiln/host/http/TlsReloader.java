package dev.kiln.host.http;

import dev.kiln.host.config.TlsSettings;
import dev.kiln.host.tls.PemKeys;
import dev.kiln.host.tls.TlsContexts;
import io.undertow.protocols.ssl.UndertowXnioSsl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the certificate and key files and, when either changes, loads the pair and gives it to
 * the HTTPS listener: new connections get the new certificate, open ones keep theirs. A pair that
 * does not load (a renewal half written, a key that does not match) is logged and the old one kept;
 * it is tried again when the files change again (docs/adr/0034).
 */
final class TlsReloader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TlsReloader.class);

    private final TlsSettings tls;
    private final UndertowXnioSsl listener;
    private final ScheduledExecutorService timer;
    private final AtomicInteger reloads = new AtomicInteger();
    private List<Object> lastSeen;

    TlsReloader(TlsSettings tls, UndertowXnioSsl listener) {
        this.tls = tls;
        this.listener = listener;
        this.lastSeen = stamp();
        this.timer =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "kiln-tls-reload");
                            t.setDaemon(true);
                            return t;
                        });
        long every = tls.reloadInterval().toMillis();
        // check() catches what it can fail with; the future would only ever say "cancelled".
        var unused = timer.scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
    }

    /** Certificates loaded since start. */
    int reloads() {
        return reloads.get();
    }

    private void check() {
        List<Object> now = stamp();
        if (now.equals(lastSeen)) {
            return;
        }
        lastSeen = now;
        try {
            SSLContext context = TlsContexts.load(tls.certFile(), tls.keyFile());
            listener.updateSSLContext(context);
            reloads.incrementAndGet();
            log.info("loaded the changed TLS certificate {} for new connections", tls.certFile());
        } catch (IOException | PemKeys.PemException | RuntimeException e) {
            log.warn("keeping the current TLS certificate: {}", e.getMessage());
        }
    }

    /** Modification times and sizes of both files: what a renewal changes. */
    private List<Object> stamp() {
        return List.of(stamp(tls.certFile()), stamp(tls.keyFile()));
    }

    private static String stamp(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis() + "/" + Files.size(p);
        } catch (IOException e) {
            return "missing";
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
