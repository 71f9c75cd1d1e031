package dev.kiln.host.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Self-signed certificates for 127.0.0.1, made by the JDK's keytool in a child process, written as
 * PEM files: the certificate and its PKCS#8 private key.
 */
public final class TestCertificates {
    private TestCertificates() {}

    /** A certificate and its key as PEM files, and the certificate itself. */
    public record Pair(Path certFile, Path keyFile, X509Certificate certificate) {}

    /**
     * A new self-signed certificate for {@code localhost} and its key, written as PEM files.
     *
     * @param algorithm {@code RSA} or {@code EC}
     */
    public static Pair generate(Path dir, String name, String algorithm) throws Exception {
        Files.createDirectories(dir);
        Path store = dir.resolve(name + ".p12");
        Files.deleteIfExists(store);
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        List<String> command =
                new java.util.ArrayList<>(
                        List.of(
                                keytool,
                                "-genkeypair",
                                "-alias",
                                "kiln",
                                "-keyalg",
                                algorithm,
                                "-dname",
                                "CN=" + name,
                                "-ext",
                                "SAN=ip:127.0.0.1,dns:localhost",
                                "-validity",
                                "2",
                                "-storetype",
                                "PKCS12",
                                "-keystore",
                                store.toString(),
                                "-storepass",
                                "changeit",
                                "-keypass",
                                "changeit"));
        if (algorithm.equals("EC")) {
            command.addAll(List.of("-groupname", "secp256r1"));
        } else {
            command.addAll(List.of("-keysize", "2048"));
        }
        run(command);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        PrivateKey key = (PrivateKey) ks.getKey("kiln", "changeit".toCharArray());
        X509Certificate cert = (X509Certificate) ks.getCertificate("kiln");
        Path certFile = dir.resolve(name + ".crt");
        Path keyFile = dir.resolve(name + ".key");
        Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()));
        return new Pair(certFile, keyFile, cert);
    }

    /**
     * The key of {@code pair} in its traditional form (PKCS#1 for RSA, SEC1 for EC) written by
     * openssl, or null when openssl is not installed.
     */
    public static Path traditionalKey(Pair pair) throws Exception {
        Path out = pair.keyFile().resolveSibling(pair.keyFile().getFileName() + ".trad");
        try {
            run(
                    List.of(
                            "openssl",
                            "pkey",
                            "-in",
                            pair.keyFile().toString(),
                            "-traditional",
                            "-out",
                            out.toString()));
        } catch (IOException e) {
            return null; // no openssl on this machine
        }
        return out;
    }

    /** A client context trusting exactly {@code certificates}. */
    public static SSLContext trusting(X509Certificate... certificates) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        for (int i = 0; i < certificates.length; i++) {
            trust.setCertificateEntry("c" + i, certificates[i]);
        }
        TrustManagerFactory tmf =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    public static String pem(String type, byte[] der) {
        return "-----BEGIN "
                + type
                + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der)
                + "\n-----END "
                + type
                + "-----\n";
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(command.get(0) + " did not finish");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(
                    command.get(0) + " failed: " + new String(output, StandardCharsets.UTF_8));
        }
    }
}
