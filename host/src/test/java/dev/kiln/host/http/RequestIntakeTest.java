package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.config.HttpLimits;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client may hold of the HTTP server before it has sent a whole request: nothing for an
 * unknown function, buffered bytes in proportion to what it sent and within the host's budget, a
 * stalled body or slow headers only until their timeouts, and connections only up to the caps
 * (docs/adr/0025-request-intake-limits.md).
 */
class RequestIntakeTest {
    static final String TOKEN_HEADER = "Authorization: Bearer " + TestHost.TOKEN + "\r\n";

    @Test
    void anUnknownFunctionIs404BeforeItsBodyIsRead(@TempDir Path data) throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("s", "echo", Wat.fixture("echo"));
            for (String path : List.of("/fn/x/y/", "/api/v1/services/x/functions/y/invoke")) {
                try (var raw = new RawExchange(kiln.host().port())) {
                    // 6 MiB declared, one byte sent: the answer must not wait for the rest.
                    var reply =
                            raw.send(
                                            "POST "
                                                    + path
                                                    + " HTTP/1.1\r\nHost: x\r\n"
                                                    + TOKEN_HEADER
                                                    + "Content-Length: 6291456\r\n\r\nx")
                                    .readUntilClosed(10_000);
                    assertThat(reply.status()).as(reply.text()).isEqualTo(404);
                    assertThat(reply.errorCode()).isEqualTo("function_not_found");
                    assertThat(reply.closed()).as("closed: its body was left unread").isTrue();
                }
            }
            assertThat(metric(kiln, "kiln_http_buffered_request_bytes")).isZero();
            assertThat(text(kiln.invoke("s", "echo", "still here"))).isEqualTo("still here");
        }
    }

    @Test
    void theBudgetRefusesWith503AndIsGivenBackWhenARequestIsAborted(@TempDir Path data)
            throws Exception {
        int cap = 64 * 1024;
        try (TestHost kiln =
                TestHost.start(
                        data,
                        b ->
                                b.maxPayloadBytes(cap)
                                        .maxUploadBytes(cap)
                                        .httpLimits(
                                                HttpLimits.DEFAULTS.withMaxBufferedRequestBytes(
                                                        100 * 1024)))) {
            kiln.deploy("s", "echo", Wat.fixture("echo"));
            String head =
                    "POST /fn/s/echo/ HTTP/1.1\r\nHost: x\r\nContent-Length: " + cap + "\r\n\r\n";
            String part = "a".repeat(60_000);
            try (var first = new RawExchange(kiln.host().port())) {
                first.send(head + part);
                TestHost.await(
                        "the first body to be buffered",
                        Duration.ofSeconds(10),
                        () -> metric(kiln, "kiln_http_buffered_request_bytes") >= 60_000);
                try (var second = new RawExchange(kiln.host().port())) {
                    var reply = second.send(head + part).readUntilClosed(10_000);
                    assertThat(reply.status()).as(reply.text()).isEqualTo(503);
                    assertThat(reply.errorCode()).isEqualTo("server_busy");
                    assertThat(reply.text()).contains("Retry-After: 1");
                    assertThat(reply.closed()).isTrue();
                }
                assertThat(metric(kiln, "kiln_http_buffer_refusals_total")).isEqualTo(1);
            }
            // The first client went away mid-body: its reservation must come back.
            TestHost.await(
                    "the aborted body's bytes to be released",
                    Duration.ofSeconds(10),
                    () -> metric(kiln, "kiln_http_buffered_request_bytes") == 0);
            byte[] full = "b".repeat(cap).getBytes(StandardCharsets.UTF_8);
            var echoed = kiln.invoke("s", "echo", full);
            assertThat(echoed.statusCode()).isEqualTo(200);
            assertThat(echoed.body()).isEqualTo(full);
            TestHost.await(
                    "the finished request's bytes to be released",
                    Duration.ofSeconds(10),
                    () -> metric(kiln, "kiln_http_buffered_request_bytes") == 0);
            assertThat(metric(kiln, "kiln_http_buffered_request_bytes_limit"))
                    .isEqualTo(100 * 1024);
        }
    }

    @Test
    void aStalledBodyGets408AndTheConnectionCloses(@TempDir Path data) throws Exception {
        try (TestHost kiln =
                TestHost.start(data, b -> b.httpLimits(timeouts(Duration.ofMillis(300))))) {
            kiln.deploy("s", "echo", Wat.fixture("echo"));
            try (var raw = new RawExchange(kiln.host().port())) {
                var reply =
                        raw.send(
                                        "POST /fn/s/echo/ HTTP/1.1\r\n"
                                                + "Host: x\r\n"
                                                + "Content-Length: 100\r\n\r\n"
                                                + "x")
                                .readUntilClosed(10_000);
                assertThat(reply.status()).as(reply.text()).isEqualTo(408);
                assertThat(reply.errorCode()).isEqualTo("request_timeout");
                assertThat(reply.closed()).isTrue();
            }
            assertThat(metric(kiln, "kiln_http_body_timeouts_total")).isEqualTo(1);
            assertThat(metric(kiln, "kiln_http_buffered_request_bytes")).isZero();
            // A body that keeps arriving, slower than the timeout in all but faster per byte, is
            // fine: the timeout is between reads.
            try (var raw = new RawExchange(kiln.host().port())) {
                raw.send("POST /fn/s/echo/ HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n");
                for (char c : "slow".toCharArray()) {
                    Thread.sleep(150);
                    raw.send(String.valueOf(c));
                }
                var reply = raw.readResponse(10_000);
                assertThat(reply.status()).as(reply.text()).isEqualTo(200);
                assertThat(reply.text()).endsWith("slow");
            }
            assertThat(text(kiln.invoke("s", "echo", "still here"))).isEqualTo("still here");
        }
    }

    @Test
    void slowHeadersAndSilentConnectionsAreClosed(@TempDir Path data) throws Exception {
        try (TestHost kiln =
                TestHost.start(data, b -> b.httpLimits(timeouts(Duration.ofSeconds(20))))) {
            try (var silent = new RawExchange(kiln.host().port());
                    var slow = new RawExchange(kiln.host().port())) {
                slow.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");
                var cutOff = slow.readUntilClosed(10_000);
                assertThat(cutOff.closed())
                        .as("headers unfinished after the parse timeout")
                        .isTrue();
                assertThat(silent.readUntilClosed(10_000).closed())
                        .as("no request after the no-request timeout")
                        .isTrue();
            }
            assertThat(kiln.get("/healthz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void connectionsOverThePerAddressCapAreRefused(@TempDir Path data) throws Exception {
        connectionsOverACapAreRefused(data, HttpLimits.DEFAULTS.withMaxConnections(1000, 3), "ip");
    }

    @Test
    void connectionsOverTheHostCapAreRefused(@TempDir Path data) throws Exception {
        connectionsOverACapAreRefused(
                data, HttpLimits.DEFAULTS.withMaxConnections(3, 1000), "total");
    }

    private static void connectionsOverACapAreRefused(Path data, HttpLimits limits, String scope)
            throws Exception {
        try (TestHost kiln = TestHost.start(data, b -> b.httpLimits(limits))) {
            List<RawExchange> held = new ArrayList<>();
            var refusedSeen = new java.util.concurrent.atomic.AtomicInteger(1);
            var unreadable = new java.util.concurrent.atomic.AtomicInteger();
            try {
                for (int i = 0; i < 3; i++) {
                    var raw = new RawExchange(kiln.host().port());
                    held.add(raw);
                    var ok =
                            raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                                    .readResponse(10_000);
                    assertThat(ok.status()).as(ok.text()).isEqualTo(200);
                }
                try (var refused = new RawExchange(kiln.host().port())) {
                    var reply = refused.readUntilClosed(10_000);
                    assertThat(reply.status()).as(reply.text()).isEqualTo(503);
                    assertThat(reply.errorCode()).isEqualTo("server_busy");
                    assertThat(reply.closed()).isTrue();
                }
                held.remove(0).close();
                // The freed slot is usable again once the server has seen the close; until then a
                // retry is refused too (and counted), or reset before its answer could be read.
                TestHost.await(
                        "a connection slot to be free again",
                        Duration.ofSeconds(10),
                        () -> {
                            try (var again = new RawExchange(kiln.host().port())) {
                                var r =
                                        again.send(
                                                        "GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                                                + "Connection: close\r\n\r\n")
                                                .readUntilClosed(10_000);
                                if (r.status() == 503) {
                                    refusedSeen.incrementAndGet();
                                }
                                return r.status() == 200;
                            } catch (java.io.IOException e) {
                                unreadable.incrementAndGet();
                                return false;
                            }
                        });
            } finally {
                for (RawExchange raw : held) {
                    raw.close();
                }
            }
            // Until the server has seen those closes, this client's connection is refused too.
            TestHost.await(
                    "the held connections to close",
                    Duration.ofSeconds(10),
                    () -> {
                        try {
                            int status = kiln.get("/healthz").statusCode();
                            if (status == 503) {
                                refusedSeen.incrementAndGet();
                            }
                            return status == 200;
                        } catch (java.io.UncheckedIOException e) {
                            unreadable.incrementAndGet();
                            return false;
                        }
                    });
            String series = "kiln_http_connection_refusals_total{scope=\"" + scope + "\"} ";
            String metrics = new String(kiln.get("/metrics").body(), StandardCharsets.UTF_8);
            double counted =
                    metrics.lines()
                            .filter(l -> l.startsWith(series))
                            .mapToDouble(l -> Double.parseDouble(l.substring(series.length())))
                            .findFirst()
                            .orElseThrow(() -> new AssertionError("no series " + series));
            // Every refusal the test saw is counted, and nothing else but the retries whose
            // answer was lost to a reset.
            assertThat(counted)
                    .isBetween(
                            (double) refusedSeen.get(),
                            (double) (refusedSeen.get() + unreadable.get()));
        }
    }

    private static HttpLimits timeouts(Duration bodyRead) {
        return HttpLimits.DEFAULTS.withTimeouts(
                Duration.ofMillis(500), Duration.ofMillis(800), bodyRead, Duration.ofMinutes(10));
    }

    /** One un-labelled series of {@code GET /metrics}. */
    static double metric(TestHost kiln, String name) {
        String body = new String(kiln.get("/metrics").body(), StandardCharsets.UTF_8);
        for (String line : body.lines().toList()) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no series " + name + " in /metrics");
    }
}
