package dev.kiln.host.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.host.KilnHost;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.config.TlsSettings;
import dev.kiln.host.testing.TestCertificates;
import dev.kiln.host.testing.TestHost;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS with HTTP/2 by ALPN, with certificates the test makes, over real sockets. Slow: every
 * certificate is made by keytool (and openssl) in a process of its own.
 */
@Tag("slow")
class TlsTest {
    @TempDir Path tmp;

    private KilnHost start(TlsSettings tls) throws Exception {
        // A data directory per key file: one test may start several hosts.
        return KilnHost.start(
                KilnConfig.builder()
                        .port(0)
                        .dataDir(tmp.resolve("data-" + tls.keyFile().getFileName()))
                        .adminToken(TestHost.TOKEN)
                        .tls(tls)
                        .build());
    }

    private static HttpClient client(SSLContext trust) {
        return HttpClient.newBuilder()
                .sslContext(trust)
                .version(HttpClient.Version.HTTP_2)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    private static HttpResponse<String> get(HttpClient client, int port, String path)
            throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(30))
                        .header("Authorization", "Bearer " + TestHost.TOKEN)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Serves health, an upload, an invoke and the HTTP trigger over h2 with {@code pair}. */
    private void servesHttp2(TestCertificates.Pair pair, Path keyFile) throws Exception {
        try (KilnHost host = start(new TlsSettings(pair.certFile(), keyFile))) {
            HttpClient client = client(TestCertificates.trusting(pair.certificate()));
            var health = get(client, host.port(), "/healthz");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.version()).isEqualTo(HttpClient.Version.HTTP_2);
            X509Certificate served =
                    (X509Certificate) health.sslSession().orElseThrow().getPeerCertificates()[0];
            assertThat(served).isEqualTo(pair.certificate());

            String base = "https://127.0.0.1:" + host.port();
            var upload =
                    client.send(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    base + "/api/v1/services/tls/functions/echo"))
                                    .header("Authorization", "Bearer " + TestHost.TOKEN)
                                    .header("Content-Type", "application/wasm")
                                    .PUT(HttpRequest.BodyPublishers.ofByteArray(QuotaTest.ECHO))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(upload.statusCode()).isEqualTo(201);
            var invoke =
                    client.send(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    base
                                                            + "/api/v1/services/tls/functions/echo/invoke"))
                                    .header("Authorization", "Bearer " + TestHost.TOKEN)
                                    .POST(HttpRequest.BodyPublishers.ofString("over h2"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(invoke.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(invoke.body()).isEqualTo("over h2");
            assertThat(invoke.headers().firstValue("x-kiln-request-id")).isPresent();
            var trigger =
                    client.send(
                            HttpRequest.newBuilder(URI.create(base + "/fn/tls/echo/x?y=1"))
                                    .POST(HttpRequest.BodyPublishers.ofString("trigger"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(trigger.statusCode()).isEqualTo(200);
            assertThat(trigger.body()).isEqualTo("trigger");
        }
    }

    @Test
    void rsaPkcs8() throws Exception {
        var pair = TestCertificates.generate(tmp, "rsa", "RSA");
        servesHttp2(pair, pair.keyFile());
    }

    @Test
    void ecPkcs8() throws Exception {
        var pair = TestCertificates.generate(tmp, "ec", "EC");
        servesHttp2(pair, pair.keyFile());
    }

    @Test
    void rsaPkcs1AndEcSec1FromOpenssl() throws Exception {
        var rsa = TestCertificates.generate(tmp, "rsa1", "RSA");
        Path pkcs1 = TestCertificates.traditionalKey(rsa);
        assumeTrue(pkcs1 != null, "openssl is not installed");
        assertThat(Files.readString(pkcs1)).contains("BEGIN RSA PRIVATE KEY");
        servesHttp2(rsa, pkcs1);
        var ec = TestCertificates.generate(tmp, "ec1", "EC");
        Path sec1 = TestCertificates.traditionalKey(ec);
        assertThat(Files.readString(sec1)).contains("BEGIN EC PRIVATE KEY");
        servesHttp2(ec, sec1);
    }

    @Test
    void theRedirectListenerAnswers308ToHttps() throws Exception {
        var pair = TestCertificates.generate(tmp, "redir", "RSA");
        try (KilnHost host =
                start(
                        new TlsSettings(
                                pair.certFile(),
                                pair.keyFile(),
                                0,
                                TlsSettings.DEFAULT_RELOAD_INTERVAL))) {
            assertThat(host.redirectPort()).isPositive().isNotEqualTo(host.port());
            HttpClient plain = HttpClient.newHttpClient();
            var r =
                    plain.send(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    "http://127.0.0.1:"
                                                            + host.redirectPort()
                                                            + "/fn/s/f/a%20b?q=1&r=2"))
                                    .POST(HttpRequest.BodyPublishers.ofString("body"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(308);
            assertThat(r.headers().firstValue("Location"))
                    .hasValue("https://127.0.0.1:" + host.port() + "/fn/s/f/a%20b?q=1&r=2");
            // Following it works over TLS.
            var health =
                    get(
                            client(TestCertificates.trusting(pair.certificate())),
                            host.port(),
                            "/healthz");
            assertThat(health.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefusedAtStart() throws Exception {
        var a = TestCertificates.generate(tmp, "a", "RSA");
        var b = TestCertificates.generate(tmp, "b", "EC");
        assertThatThrownBy(() -> start(new TlsSettings(a.certFile(), b.keyFile())))
                .hasMessageContaining("does not hold the private key");
        Path encrypted = tmp.resolve("enc.key");
        Files.writeString(
                encrypted,
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
                        + "AAAA\n"
                        + "-----END ENCRYPTED PRIVATE KEY-----\n");
        assertThatThrownBy(() -> start(new TlsSettings(a.certFile(), encrypted)))
                .hasMessageContaining("encrypted");
        Path garbage = tmp.resolve("garbage.crt");
        Files.writeString(garbage, "not a certificate");
        assertThatThrownBy(() -> start(new TlsSettings(garbage, a.keyFile())))
                .hasMessageContaining("no '-----BEGIN CERTIFICATE-----' block");
        // The data directory is free again after each refused start.
        try (KilnHost host = start(new TlsSettings(a.certFile(), a.keyFile()))) {
            assertThat(host.port()).isPositive();
        }
    }

    @Test
    void changedCertificateFilesAreLoadedForNewConnections() throws Exception {
        var first = TestCertificates.generate(tmp, "first", "RSA");
        var second = TestCertificates.generate(tmp.resolve("next"), "second", "EC");
        Path cert = tmp.resolve("live.crt");
        Path key = tmp.resolve("live.key");
        Files.copy(first.certFile(), cert);
        Files.copy(first.keyFile(), key);
        try (KilnHost host = start(new TlsSettings(cert, key, -1, Duration.ofMillis(50)))) {
            SSLContext trustBoth =
                    TestCertificates.trusting(first.certificate(), second.certificate());
            var before = get(client(trustBoth), host.port(), "/healthz");
            assertThat(before.sslSession().orElseThrow().getPeerCertificates()[0])
                    .isEqualTo(first.certificate());
            // A renewal: the key first (a moment where the pair does not match), then the cert.
            Files.copy(second.keyFile(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(second.certFile(), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            TestHost.await(
                    "the new certificate", Duration.ofSeconds(20), () -> host.tlsReloads() >= 1);
            var after = get(client(trustBoth), host.port(), "/healthz");
            assertThat(after.sslSession().orElseThrow().getPeerCertificates()[0])
                    .isEqualTo(second.certificate());
        }
    }
}
