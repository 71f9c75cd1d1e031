package dev.kiln.host.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * HTTPS for the host's listener (docs/adr/0034): a PEM certificate chain and its private key.
 *
 * @param certFile PEM file holding the certificate, then any intermediates
 * @param keyFile PEM file holding the private key (PKCS#8, PKCS#1 RSA or SEC1 EC; not encrypted)
 * @param redirectPort a plain-HTTP port answering every request with 308 to the HTTPS URL; -1 for
 *     none, 0 for any free port
 * @param reloadInterval how often the two files are checked for changes; changed files are loaded
 *     for new connections (a bad pair is logged and the old one kept)
 */
public record TlsSettings(Path certFile, Path keyFile, int redirectPort, Duration reloadInterval) {
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(30);

    public TlsSettings {
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
        Objects.requireNonNull(reloadInterval, "reloadInterval");
        if (redirectPort < -1 || redirectPort > 65535) {
            throw new IllegalArgumentException(
                    "redirectPort must be -1 (none) or 0..65535, got " + redirectPort);
        }
        if (reloadInterval.toMillis() < 10) {
            throw new IllegalArgumentException("reloadInterval must be at least 10 ms");
        }
    }

    public TlsSettings(Path certFile, Path keyFile) {
        this(certFile, keyFile, -1, DEFAULT_RELOAD_INTERVAL);
    }
}
