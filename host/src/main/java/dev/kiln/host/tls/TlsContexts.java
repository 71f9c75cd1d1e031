package dev.kiln.host.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** Builds the server's {@link SSLContext} from a PEM certificate chain and key file. */
public final class TlsContexts {
    private TlsContexts() {}

    /**
     * Loads {@code certFile} and {@code keyFile} and checks that the key belongs to the leaf
     * certificate.
     *
     * @throws PemKeys.PemException with a message naming the file at fault
     */
    public static SSLContext load(Path certFile, Path keyFile)
            throws IOException, PemKeys.PemException {
        List<X509Certificate> chain;
        try {
            chain = PemKeys.certificates(Files.readAllBytes(certFile));
        } catch (PemKeys.PemException e) {
            throw new PemKeys.PemException(certFile + ": " + e.getMessage(), e);
        }
        PrivateKey key;
        try {
            key = PemKeys.privateKey(Files.readAllBytes(keyFile));
        } catch (PemKeys.PemException e) {
            throw new PemKeys.PemException(keyFile + ": " + e.getMessage(), e);
        }
        if (!matches(key, chain.getFirst())) {
            throw new PemKeys.PemException(
                    keyFile
                            + " does not hold the private key of the first certificate in "
                            + certFile);
        }
        try {
            char[] password = new char[0];
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("kiln", key, password, chain.toArray(new X509Certificate[0]));
            KeyManagerFactory kmf =
                    KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new PemKeys.PemException("cannot build a TLS context: " + e.getMessage(), e);
        }
    }

    /** Whether {@code key} signs what the certificate's public key verifies. */
    private static boolean matches(PrivateKey key, X509Certificate cert) {
        String algorithm =
                switch (key.getAlgorithm()) {
                    case "RSA" -> "SHA256withRSA";
                    case "EC" -> "SHA256withECDSA";
                    default -> null;
                };
        if (algorithm == null) {
            return false;
        }
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
