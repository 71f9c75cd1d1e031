package dev.kiln.host.replay;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.abi.AbiV1;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.testing.OriginServer;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outbound HTTP in recordings (docs/adr/0041, ABI.md 7.1) on a real host and a real origin server
 * on loopback: every {@code http_send} is journalled with its answer, and a replay answers from the
 * journal without any network.
 */
class OutboundReplayTest {
    static final int BODY_BYTES = 6000;

    /**
     * POSTs 6000 bytes of 'a' to the payload's origin + "/echo" with the header x-guest: kiln and
     * x-n: the number of invocations this instance has served (1 unless isolation is reuse), then
     * answers the call's result (i32), the status (i32) and the response body in upper case; only
     * the result when the call failed.
     */
    static final String FETCH =
            """
            (module
              (import "kiln" "http_send"
                (func $send (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
              (import "kiln" "http_response_status" (func $status (param i32) (result i32)))
              (import "kiln" "http_response_body" (func $body (param i32 i32 i32) (result i32)))
              (memory (export "memory") 2)
              (data (i32.const 0) "POST")
              (data (i32.const 16) "/echo")
              (data (i32.const 32) "x-guest\\00kiln\\00x-n\\000\\00")
              (global $served (mut i32) (i32.const 0))
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 0x1000))
              (func (export "kiln_handle") (param $p i32) (param $len i32) (result i64)
                (local $h i32) (local $n i32) (local $i i32) (local $c i32)
                (memory.copy (i32.const 0x2000) (local.get $p) (local.get $len))
                (memory.copy (i32.add (i32.const 0x2000) (local.get $len)) (i32.const 16) (i32.const 5))
                (global.set $served (i32.add (global.get $served) (i32.const 1)))
                (i32.store8 (i32.const 49) (i32.add (i32.const 48) (global.get $served)))
                (memory.fill (i32.const 0x3000) (i32.const 97) (i32.const 6000))
                (local.set $h
                  (call $send (i32.const 0) (i32.const 4)
                              (i32.const 0x2000) (i32.add (local.get $len) (i32.const 5))
                              (i32.const 32) (i32.const 19) (i32.const 0x3000) (i32.const 6000)))
                (i32.store (i32.const 0x5000) (local.get $h))
                (if (i32.lt_s (local.get $h) (i32.const 0))
                  (then (return (i64.or (i64.shl (i64.const 0x5000) (i64.const 32)) (i64.const 4)))))
                (i32.store (i32.const 0x5004) (call $status (local.get $h)))
                (local.set $n (call $body (local.get $h) (i32.const 0x5008) (i32.const 0x4000)))
                (block $done
                  (loop $upper
                    (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                    (local.set $c (i32.load8_u (i32.add (i32.const 0x5008) (local.get $i))))
                    (if (i32.and (i32.ge_u (local.get $c) (i32.const 97))
                                 (i32.le_u (local.get $c) (i32.const 122)))
                      (then (i32.store8 (i32.add (i32.const 0x5008) (local.get $i))
                                        (i32.sub (local.get $c) (i32.const 32)))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $upper)))
                (i64.or (i64.shl (i64.const 0x5000) (i64.const 32))
                        (i64.extend_i32_u (i32.add (i32.const 8) (local.get $n))))))
            """;

    @TempDir Path data;
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

    private void start(Consumer<KilnConfig.Builder> tweak, String settings) {
        origin = OriginServer.http();
        kiln = TestHost.start(data, tweak);
        var d = kiln.deploy("shop", "fetch", Wat.compile(FETCH));
        assertThat(d.statusCode()).as(text(d)).isEqualTo(201);
        var p =
                kiln.patch(
                        "shop",
                        "fetch",
                        "{\"allowedOutboundHosts\":[\""
                                + origin.origin()
                                + "\"],"
                                + settings
                                + "}");
        assertThat(p.statusCode()).as(text(p)).isEqualTo(200);
    }

    private static int rc(HttpResponse<byte[]> r) {
        return ByteBuffer.wrap(r.body()).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
    }

    private static String id(HttpResponse<byte[]> r) {
        return r.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
    }

    private String path(String requestId, String tail) {
        return "/api/v1/services/shop/functions/fetch/invocations/" + requestId + tail;
    }

    private HttpResponse<byte[]> replay(String requestId) {
        kiln.host().flushRecordings();
        return kiln.send(
                kiln.admin(path(requestId, "/replay"))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build());
    }

    private JsonNode replayOk(String requestId) {
        var r = replay(requestId);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        return json(r);
    }

    @Test
    void aFetchReplaysIdenticallyWithTheOriginServerStopped() {
        start(b -> {}, "\"record\":\"all\"");
        var call = kiln.invoke("shop", "fetch", origin.origin());
        assertThat(call.statusCode()).as(text(call)).isEqualTo(200);
        assertThat(rc(call)).isNotNegative();
        ByteBuffer out = ByteBuffer.wrap(call.body()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(out.getInt(4)).isEqualTo(201); // the origin's /echo
        byte[] upper = Arrays.copyOfRange(call.body(), 8, call.body().length);
        assertThat(new String(upper, StandardCharsets.US_ASCII)).isEqualTo("A".repeat(BODY_BYTES));
        // A refused request is journalled too: its code and the log line come from the journal.
        var denied = kiln.invoke("shop", "fetch", "http://127.0.0.1:1");
        assertThat(rc(denied)).isEqualTo(AbiV1.ERR_DENIED);
        assertThat(origin.requests()).isEqualTo(1);

        // The export shows the exchange: the large request body by length and digest only.
        kiln.host().flushRecordings();
        JsonNode exported = json(kiln.get(path(id(call), "/recording")));
        JsonNode http = exported.path("journal").get(0);
        assertThat(http.path("kind").asText()).isEqualTo("http");
        assertThat(http.path("method").asText()).isEqualTo("POST");
        assertThat(http.path("url").asText()).isEqualTo(origin.url("/echo"));
        assertThat(http.path("headers").toString()).contains("x-guest", "kiln", "x-n");
        assertThat(http.path("bodyBytes").asInt()).isEqualTo(BODY_BYTES);
        assertThat(http.path("body").isNull()).isTrue();
        assertThat(http.path("bodySha256").asText()).hasSize(64);
        assertThat(http.path("status").asInt()).isEqualTo(201);
        assertThat(Base64.getDecoder().decode(http.path("responseBody").asText()))
                .hasSize(BODY_BYTES);

        origin.close();
        origin = null;
        // Gone indeed: a live call now fails to connect.
        assertThat(rc(kiln.invoke("shop", "fetch", "http://127.0.0.1:" + portOf(exported))))
                .isEqualTo(AbiV1.ERR_CONNECT_FAILED);

        JsonNode r = replayOk(id(call));
        assertThat(r.path("identical").asBoolean()).as(r.toString()).isTrue();
        assertThat(Base64.getDecoder().decode(r.path("replayed").path("outputBase64").asText()))
                .isEqualTo(call.body());
        assertThat(r.path("replayed").path("fuel").asLong())
                .isEqualTo(r.path("recorded").path("fuel").asLong())
                .isPositive();
        JsonNode d = replayOk(id(denied));
        assertThat(d.path("identical").asBoolean()).as(d.toString()).isTrue();
    }

    private static int portOf(JsonNode exported) {
        String url = exported.path("journal").get(0).path("url").asText();
        return Integer.parseInt(url.substring(url.lastIndexOf(':') + 1, url.indexOf("/echo")));
    }

    @Test
    void aDifferentRequestOnReplayIsADivergenceAndNothingIsSent() {
        start(b -> {}, "\"record\":\"all\",\"isolation\":\"reuse\",\"maxInstances\":1");
        var first = kiln.invoke("shop", "fetch", origin.origin());
        var second = kiln.invoke("shop", "fetch", origin.origin()); // x-n: 2
        assertThat(rc(first)).isNotNegative();
        assertThat(rc(second)).isNotNegative();
        assertThat(origin.requests()).isEqualTo(2);

        assertThat(replayOk(id(first)).path("identical").asBoolean()).isTrue();
        // The replay starts from a fresh instance, so it sends x-n: 1 where 2 was recorded.
        JsonNode r = replayOk(id(second));
        assertThat(r.path("identical").asBoolean()).isFalse();
        assertThat(r.path("divergence").path("code").asText()).isEqualTo("different_arguments");
        assertThat(r.path("divergence").path("message").asText()).contains("http_send");
        // Neither replay reached the origin, the divergent one included.
        assertThat(origin.requests()).isEqualTo(2);
        // The host still serves.
        assertThat(rc(kiln.invoke("shop", "fetch", origin.origin()))).isNotNegative();
    }

    @Test
    void aRecordingWhoseResponsePassesTheCapIsNotKept() {
        start(b -> b.maxRecordingBytes(4096), "\"record\":\"all\"");
        var big = kiln.invoke("shop", "fetch", origin.origin());
        assertThat(big.statusCode()).isEqualTo(200);
        assertThat(rc(big)).isNotNegative();
        var small = kiln.invoke("shop", "fetch", "http://127.0.0.1:1"); // denied: a small entry
        assertThat(rc(small)).isEqualTo(AbiV1.ERR_DENIED);

        assertThat(errorCode(replay(id(big)))).isEqualTo("recording_not_found");
        assertThat(replayOk(id(small)).path("identical").asBoolean()).isTrue();
        assertThat(text(kiln.get("/metrics")))
                .contains("kiln_recordings_dropped_total{reason=\"too_large\"} 1");
    }
}
