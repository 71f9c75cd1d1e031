package dev.kiln.host.outbound;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.abi.AbiV1;
import dev.kiln.abi.Header;
import dev.kiln.abi.HeaderCodec;
import dev.kiln.abi.OutboundLimits;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.testing.OriginServer;
import dev.kiln.host.testing.TestCertificates;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.WasiCgiUpload;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guests' outbound HTTP (wasm-abi/ABI.md 4.13, docs/adr/0040) end to end: {@code http_probe.wat}
 * sends what the payload describes to real servers on loopback, through a real host.
 */
class OutboundHttpTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path data;
    @TempDir Path certs;
    TestHost kiln;
    OriginServer origin;

    @AfterEach
    void stop() {
        if (kiln != null) {
            kiln.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    private void start(Consumer<KilnConfig.Builder> tweak) {
        origin = OriginServer.http();
        kiln = TestHost.start(data, tweak);
    }

    private void start() {
        start(b -> {});
    }

    private void deploy(String fn, List<String> allowed) {
        deploy(fn, allowed, "{}");
    }

    private void deploy(String fn, List<String> allowed, String extraSettings) {
        var r = kiln.deploy("net", fn, Wat.fixture("http_probe"));
        assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
        var settings = (com.fasterxml.jackson.databind.node.ObjectNode) readJson(extraSettings);
        settings.set("allowedOutboundHosts", JSON.valueToTree(allowed));
        var p = kiln.patch("net", fn, settings.toString());
        assertThat(p.statusCode()).as(text(p)).isEqualTo(200);
    }

    private static com.fasterxml.jackson.databind.JsonNode readJson(String s) {
        try {
            return JSON.readTree(s);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** What the probe answered: the last call's code, the successes, and the last response. */
    record Probe(int rc, int ok, int status, List<Header> headers, byte[] body, String requestId) {
        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.stream()
                    .filter(h -> h.name().equals(name))
                    .map(Header::value)
                    .findFirst()
                    .orElse(null);
        }
    }

    static byte[] payload(
            int repeat, String method, String url, List<Header> headers, byte[] body) {
        byte[] m = method.getBytes(StandardCharsets.UTF_8);
        byte[] u = url.getBytes(StandardCharsets.UTF_8);
        byte[] h = HeaderCodec.encode(headers);
        return ByteBuffer.allocate(20 + m.length + u.length + h.length + body.length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(repeat)
                .putInt(m.length)
                .putInt(u.length)
                .putInt(h.length)
                .putInt(body.length)
                .put(m)
                .put(u)
                .put(h)
                .put(body)
                .array();
    }

    private HttpResponse<byte[]> raw(String fn, int repeat, String method, String url) {
        return kiln.invoke("net", fn, payload(repeat, method, url, List.of(), new byte[0]));
    }

    private Probe probe(String fn, byte[] payload) {
        var r = kiln.invoke("net", fn, payload);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        ByteBuffer b = ByteBuffer.wrap(r.body()).order(ByteOrder.LITTLE_ENDIAN);
        int rc = b.getInt();
        int ok = b.getInt();
        int status = b.getInt();
        int hl = b.getInt();
        byte[] h = new byte[hl];
        b.get(h);
        byte[] body = Arrays.copyOfRange(r.body(), 16 + hl, r.body().length);
        return new Probe(
                rc,
                ok,
                status,
                HeaderCodec.decode(h),
                body,
                r.headers().firstValue("x-kiln-request-id").orElse(""));
    }

    private Probe get(String fn, String url) {
        return probe(fn, payload(1, "GET", url, List.of(), new byte[0]));
    }

    /** The function's log lines of one invocation, once the record is written. */
    private String logsOf(String fn, String requestId) {
        String path = "/api/v1/services/net/functions/" + fn + "/invocations/" + requestId;
        TestHost.await(
                "the invocation record",
                Duration.ofSeconds(10),
                () -> kiln.get(path).statusCode() == 200);
        return text(kiln.get(path));
    }

    @Test
    void getReadsStatusHeadersAndBodyOfAnAllowedHost() {
        start();
        deploy("fetch", List.of(origin.origin()));
        Probe p = get("fetch", origin.url("/hello"));
        assertThat(p.rc()).isZero();
        assertThat(p.status()).isEqualTo(200);
        assertThat(p.header("x-test")).isEqualTo("yes");
        assertThat(p.bodyText()).isEqualTo("hello");
    }

    @Test
    void postSendsTheGuestsHeadersAndBody() {
        start();
        deploy("post", List.of(origin.origin()));
        Probe p =
                probe(
                        "post",
                        payload(
                                1,
                                "POST",
                                origin.url("/echo"),
                                List.of(new Header("X-Guest", "from-wasm")),
                                "order 42".getBytes(StandardCharsets.UTF_8)));
        assertThat(p.rc()).isZero();
        assertThat(p.status()).isEqualTo(201);
        assertThat(p.bodyText()).isEqualTo("order 42");
        assertThat(p.header("x-echo")).isEqualTo("from-wasm");
        assertThat(p.header("x-method")).isEqualTo("POST");
        assertThat(p.header("x-length")).isEqualTo("8");
    }

    @Test
    void everyRequestIsDeniedByDefaultWithALogLine() {
        start();
        deploy("closed", List.of());
        Probe p = get("closed", origin.url("/hello"));
        assertThat(p.rc()).isEqualTo(AbiV1.ERR_DENIED);
        assertThat(p.ok()).isZero();
        assertThat(origin.requests()).isZero();
        assertThat(logsOf("closed", p.requestId()))
                .contains("http_send failed (denied)")
                .contains("allowedOutboundHosts");
    }

    @Test
    void aPortOrSchemeOtherThanTheEntrysIsDenied() {
        start();
        deploy("port", List.of("http://127.0.0.1:1", "https://127.0.0.1:" + origin.port()));
        assertThat(get("port", origin.url("/hello")).rc()).isEqualTo(AbiV1.ERR_DENIED);
        assertThat(origin.requests()).isZero();
    }

    @Test
    void loopbackIsRefusedUnlessAnEntryNamesTheHostLiterally() {
        start();
        // A wildcard host matches, but 127.0.0.1 is loopback and no entry names it.
        deploy("wild", List.of("http://*:" + origin.port()));
        Probe byIp = get("wild", origin.url("/hello"));
        assertThat(byIp.rc()).isEqualTo(AbiV1.ERR_DENIED);
        assertThat(logsOf("wild", byIp.requestId())).contains("loopback, private or link-local");
        // A name resolving to 127.0.0.1 is checked by the address it resolves to.
        Probe byName = get("wild", "http://localhost:" + origin.port() + "/hello");
        assertThat(byName.rc()).isEqualTo(AbiV1.ERR_DENIED);
        // Naming the IP literally allows the IP, not a name that resolves to it.
        deploy("ip", List.of(origin.origin()));
        assertThat(get("ip", "http://localhost:" + origin.port() + "/hello").rc())
                .isEqualTo(AbiV1.ERR_DENIED);
        // Naming the name literally allows it.
        deploy("name", List.of("http://localhost:" + origin.port()));
        Probe named = get("name", "http://localhost:" + origin.port() + "/hello");
        assertThat(named.rc()).isZero();
        assertThat(named.bodyText()).isEqualTo("hello");
        assertThat(origin.requests()).isEqualTo(1);
    }

    @Test
    void aRedirectIsReturnedNotFollowedAndItsTargetIsCheckedLikeAnyURL() {
        start();
        try (OriginServer forbidden = OriginServer.http()) {
            deploy("redir", List.of(origin.origin()));
            Probe p = get("redir", origin.url("/redirect?to=" + forbidden.url("/hello")));
            assertThat(p.rc()).isZero();
            assertThat(p.status()).isEqualTo(302);
            assertThat(p.header("location")).isEqualTo(forbidden.url("/hello"));
            // Following it by hand is a request like any other: denied.
            assertThat(get("redir", p.header("location")).rc()).isEqualTo(AbiV1.ERR_DENIED);
            assertThat(forbidden.requests()).isZero();
        }
    }

    @Test
    void requestsPerInvocationAreCappedAndTheHostStillServes() {
        start(b -> b.outboundLimits(new OutboundLimits(3, 1024, 1 << 20, 5_000)));
        deploy("flood", List.of(origin.origin()));
        Probe p = probe("flood", payload(50, "GET", origin.url("/hello"), List.of(), new byte[0]));
        assertThat(p.ok()).isEqualTo(3);
        assertThat(p.rc()).isEqualTo(AbiV1.ERR_TOO_MANY_REQUESTS);
        assertThat(origin.requests()).isEqualTo(3);
        // One log line for the 47 refusals, not 47.
        assertThat(logsOf("flood", p.requestId()).split("too_many_requests", -1)).hasSize(2);
        // The next invocation has its own count.
        assertThat(get("flood", origin.url("/hello")).rc()).isZero();
    }

    @Test
    void aRequestBodyOverTheCapIsRefusedBeforeItIsSent() {
        start(b -> b.outboundLimits(new OutboundLimits(3, 1024, 1 << 20, 5_000)));
        deploy("bigbody", List.of(origin.origin()));
        Probe p =
                probe(
                        "bigbody",
                        payload(1, "POST", origin.url("/echo"), List.of(), new byte[1025]));
        assertThat(p.rc()).isEqualTo(AbiV1.ERR_LIMIT);
        assertThat(origin.requests()).isZero();
    }

    @Test
    void aResponseBombIsCutAtTheCapAndTheHostStillServes() throws Exception {
        start(b -> b.outboundLimits(new OutboundLimits(4, 1024, 256 * 1024, 10_000)));
        deploy("bomb", List.of(origin.origin()));
        Probe p = get("bomb", origin.url("/bomb"));
        assertThat(p.rc()).isEqualTo(AbiV1.ERR_RESPONSE_TOO_LARGE);
        // The client hung up at the cap: the server could write only what the socket buffers
        // took, far from the 256 MiB it would have sent.
        assertThat(origin.awaitBombDone(Duration.ofSeconds(30))).isTrue();
        assertThat(origin.bombBytesSent()).isLessThan(64 * 1024 * 1024);
        Probe claimed = get("bomb", origin.url("/big-length"));
        assertThat(claimed.rc()).isEqualTo(AbiV1.ERR_RESPONSE_TOO_LARGE);
        assertThat(get("bomb", origin.url("/hello")).rc()).isZero();
    }

    @Test
    void aSlowlorisServerEndsTheInvocationAtItsDeadlineAndTheHostStillServes() throws Exception {
        start();
        try (OriginServer.Trickle slow = new OriginServer.Trickle()) {
            deploy("slow", List.of(slow.origin(), origin.origin()), "{\"timeoutMs\":1500}");
            long t0 = System.nanoTime();
            var r = raw("slow", 1, "GET", slow.url("/"));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(r.statusCode()).as(text(r)).isEqualTo(504);
            assertThat(errorCode(r)).isEqualTo("timeout");
            // Generous: it detects a call that outlives the deadline by the trickle's 40 s.
            assertThat(ms).isLessThan(10_000);
            assertThat(get("slow", origin.url("/hello")).rc()).isZero();
        }
    }

    @Test
    void thePerCallTimeoutIsTheGuestsErrTimeout() throws Exception {
        start(b -> b.outboundLimits(new OutboundLimits(4, 1024, 1 << 20, 700)));
        try (OriginServer.Trickle slow = new OriginServer.Trickle()) {
            deploy("patient", List.of(slow.origin()), "{\"timeoutMs\":10000}");
            Probe p = get("patient", slow.url("/"));
            assertThat(p.rc()).isEqualTo(AbiV1.ERR_TIMEOUT);
        }
    }

    @Test
    void badPointersAreAbiViolations() {
        start();
        deploy("badurl", List.of(origin.origin()), "{\"handler\":\"bad_url\"}");
        var r = kiln.invoke("net", "badurl", new byte[0]);
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(errorCode(r)).isEqualTo("abi_violation");
        deploy("badbuf", List.of(origin.origin()), "{\"handler\":\"bad_buffer\"}");
        var b = kiln.invoke("net", "badbuf", new byte[0]);
        assertThat(errorCode(b)).isEqualTo("abi_violation");
        deploy("nohandle", List.of(), "{\"handler\":\"no_handle\"}");
        var n = kiln.invoke("net", "nohandle", new byte[0]);
        assertThat(ByteBuffer.wrap(n.body()).order(ByteOrder.LITTLE_ENDIAN).getInt())
                .isEqualTo(AbiV1.ERR_NOT_FOUND);
    }

    @Test
    void malformedUrlsMethodsAndHeadersAreRefused() {
        start();
        deploy("bad", List.of("*://*:*"));
        assertThat(get("bad", "ftp://127.0.0.1/x").rc()).isEqualTo(AbiV1.ERR_INVALID_URL);
        assertThat(get("bad", "http://user@127.0.0.1:" + origin.port() + "/").rc())
                .isEqualTo(AbiV1.ERR_INVALID_URL);
        assertThat(get("bad", "http://127.1:" + origin.port() + "/").rc())
                .isEqualTo(AbiV1.ERR_INVALID_URL);
        assertThat(
                        probe(
                                        "bad",
                                        payload(
                                                1,
                                                "GE T",
                                                origin.url("/hello"),
                                                List.of(),
                                                new byte[0]))
                                .rc())
                .isEqualTo(AbiV1.ERR_INVALID);
        assertThat(
                        probe(
                                        "bad",
                                        payload(
                                                1,
                                                "GET",
                                                origin.url("/hello"),
                                                List.of(new Header("Host", "evil")),
                                                new byte[0]))
                                .rc())
                .isEqualTo(AbiV1.ERR_INVALID);
        assertThat(origin.requests()).isZero();
    }

    @Test
    void connectionsAreReusedAcrossInvocations() {
        start();
        deploy("pool", List.of(origin.origin()));
        for (int i = 0; i < 5; i++) {
            assertThat(get("pool", origin.url("/hello")).rc()).isZero();
        }
        assertThat(origin.requests()).isEqualTo(5);
        assertThat(origin.connections()).isEqualTo(1);
        assertThat(kiln.host().outbound().idleConnections()).isEqualTo(1);
    }

    @Test
    void httpsToASelfSignedServerWorksWhenTheHostTrustsItsCertificate() throws Exception {
        var pair = TestCertificates.generate(certs, "origin", "EC");
        try (OriginServer tls = OriginServer.https(certs, "origin")) {
            start(b -> b.outboundTrustPem(pair.certFile()));
            deploy("tls", List.of(tls.origin()));
            Probe p = get("tls", tls.url("/hello"));
            assertThat(p.rc()).isZero();
            assertThat(p.bodyText()).isEqualTo("hello");
        }
    }

    @Test
    void httpsToAnUntrustedCertificateFailsToConnect() throws Exception {
        TestCertificates.generate(certs, "stranger", "EC");
        try (OriginServer tls = OriginServer.https(certs, "stranger")) {
            start();
            deploy("untrusted", List.of(tls.origin()));
            assertThat(get("untrusted", tls.url("/hello")).rc())
                    .isEqualTo(AbiV1.ERR_CONNECT_FAILED);
            assertThat(tls.requests()).isZero();
        }
    }

    @Test
    void aBadAllowListEntryIsRefusedWithAStableCode() {
        start();
        deploy("ok", List.of());
        for (String bad :
                List.of(
                        "example.com",
                        "ftp://example.com",
                        "https://exa*mple.com",
                        "https://example.com/path",
                        "https://example.com:99999",
                        "https://user@example.com",
                        "https://10.0.0.0/8")) {
            var p =
                    kiln.patch(
                            "net",
                            "ok",
                            "{\"allowedOutboundHosts\":" + JSON.valueToTree(List.of(bad)) + "}");
            assertThat(p.statusCode()).as(bad).isEqualTo(400);
            assertThat(errorCode(p)).as(bad).isEqualTo("invalid_outbound_host");
        }
        var fn = json(kiln.get("/api/v1/services/net/functions/ok"));
        assertThat(fn.toString()).contains("\"allowedOutboundHosts\":[]");
    }

    @Test
    void wasiCgiGuestsMayImportTheSameCalls() {
        start();
        String url = origin.url("/hello");
        String wat =
                """
                (module
                  (import "wasi_snapshot_preview1" "fd_write"
                    (func $fd_write (param i32 i32 i32 i32) (result i32)))
                  (import "kiln" "http_send"
                    (func $send (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
                  (import "kiln" "http_response_body" (func $body (param i32 i32 i32) (result i32)))
                  (memory (export "memory") 1)
                  (data (i32.const 100) "GET")
                  (data (i32.const 200) "%s")
                  (data (i32.const 1000) "Content-Type: text/plain\\n\\n")
                  (func (export "_start")
                    (local $h i32) (local $n i32)
                    (local.set $h (call $send (i32.const 100) (i32.const 3) (i32.const 200) (i32.const %d)
                                              (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
                    (local.set $n (call $body (local.get $h) (i32.const 1026) (i32.const 1000)))
                    (i32.store (i32.const 0) (i32.const 1000))
                    (i32.store (i32.const 4) (i32.add (i32.const 26) (local.get $n)))
                    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
                """
                        .formatted(url, url.length());
        var d =
                WasiCgiUpload.deploy(
                        kiln,
                        "net",
                        "cgi",
                        Wat.compile(wat),
                        ",\"allowedOutboundHosts\":[\"" + origin.origin() + "\"]");
        assertThat(d.statusCode()).as(text(d)).isEqualTo(201);
        var r = kiln.invoke("net", "cgi", new byte[0]);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        assertThat(text(r)).isEqualTo("hello");
    }
}
