package dev.kiln.host.outbound;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The certificates outbound HTTPS trusts: the JDK's trust store, plus, when the operator names one
 * ({@code --outbound-trust-pem}), the certificates of a PEM file — a private CA, or the self-signed
 * certificate of a test server.
 */
final class OutboundTrust {
    private OutboundTrust() {}

    static SSLContext context(Path extraPem) throws IOException, GeneralSecurityException {
        if (extraPem == null) {
            return SSLContext.getDefault();
        }
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        Path cacerts = Path.of(System.getProperty("java.home"), "lib", "security", "cacerts");
        if (Files.isReadable(cacerts)) {
            try (InputStream in = Files.newInputStream(cacerts)) {
                store.load(in, null);
            }
        } else {
            store.load(null, null);
        }
        Collection<? extends Certificate> extra;
        try (InputStream in = Files.newInputStream(extraPem)) {
            extra = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        if (extra.isEmpty()) {
            throw new GeneralSecurityException(extraPem + " holds no PEM certificate");
        }
        int i = 0;
        for (Certificate c : extra) {
            if (!(c instanceof X509Certificate)) {
                throw new GeneralSecurityException(
                        extraPem + " holds a certificate that is not X.509");
            }
            store.setCertificateEntry("kiln-outbound-extra-" + i++, c);
        }
        TrustManagerFactory tmf =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
