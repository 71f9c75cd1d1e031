package dev.kiln.sdk.e2e;

import static dev.kiln.sdk.e2e.KilnUnderTest.header;
import static dev.kiln.sdk.e2e.KilnUnderTest.json;
import static dev.kiln.sdk.e2e.KilnUnderTest.messages;
import static dev.kiln.sdk.e2e.KilnUnderTest.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What every SDK's five examples must do on a real host. A subclass names the SDK, builds it with
 * its build.sh and says where the modules are; the examples then behave byte for byte the same in
 * every language.
 */
@Tag("slow") // builds guest SDK examples with their toolchains
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SdkExamplesContract {
    static final String ORDER =
            """
            {"orderId": "A-1001", "customer": "Ada", "items": [
              {"sku": "tea", "quantity": 2, "priceCents": 450},
              {"sku": "cup", "priceCents": 350}
            ]}\
            """;
    static final String ORDER_SUMMARY =
            "{\"orderId\":\"A-1001\",\"lines\":2,\"quantity\":3,\"totalCents\":1250,"
                    + "\"status\":\"accepted\"}";

    KilnUnderTest kiln;

    /** The SDK's folder under guest-sdks/, as its build.sh is found. */
    abstract String sdk();

    /** The built module of example {@code name}. */
    public abstract Path module(String name);

    /** The x-sdk header value the hello example sends. */
    abstract String sdkHeader();

    /** The service the examples are deployed to (one per test class). */
    public String service() {
        return sdk().replace('/', '-');
    }

    @BeforeAll
    void buildAndDeploy() {
        SdkBuild.ensureBuilt(sdk());
        kiln = KilnUnderTest.start(getClass().getSimpleName());
        for (String example :
                List.of("hello", "echo", "order", "sha256", "config", "counter", "webhook")) {
            var r = kiln.deploy(service(), example, SdkBuild.read(module(example)));
            assertThat(r.statusCode()).as("deploy %s: %s", example, text(r)).isEqualTo(201);
        }
    }

    @AfterAll
    void stop() {
        if (kiln != null) {
            kiln.close();
        }
    }

    @Test
    void helloReadsMethodPathAndQueryAndSetsStatusAndHeaders() {
        var r = kiln.http("GET", service(), "hello", "/greet?name=Kiln%20SDK&x=1", new byte[0]);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        assertThat(text(r)).isEqualTo("Hello, Kiln SDK! (GET /greet)\n");
        assertThat(header(r, "content-type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(header(r, "x-sdk")).isEqualTo(sdkHeader());

        var named =
                kiln.send(
                        kiln.request("/fn/" + service() + "/hello/greet")
                                .header("X-Name", "Header")
                                .GET()
                                .build());
        assertThat(text(named)).isEqualTo("Hello, Header! (GET /greet)\n");

        var root = kiln.http("GET", service(), "hello", "", new byte[0]);
        assertThat(text(root)).isEqualTo("Hello, world! (GET /)\n");

        var head = kiln.http("HEAD", service(), "hello", "/greet", new byte[0]);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();

        var post =
                kiln.http(
                        "POST", service(), "hello", "/greet", "x".getBytes(StandardCharsets.UTF_8));
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(header(post, "allow")).isEqualTo("GET, HEAD");
        assertThat(text(post)).isEqualTo("only GET and HEAD\n");

        // The log line reached the invocation record.
        JsonNode record = kiln.awaitRecord(service(), "hello", header(r, "X-Kiln-Request-Id"));
        assertThat(messages(record)).containsExactly("hello Kiln SDK from /greet");
    }

    @Test
    void echoReturnsItsInputOverBothTriggers() {
        byte[] binary = new byte[100_000];
        new Random(7).nextBytes(binary);
        var r = kiln.invoke(service(), "echo", binary);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(binary);

        assertThat(kiln.invoke(service(), "echo", new byte[0]).body()).isEmpty();

        var http =
                kiln.http(
                        "PUT",
                        service(),
                        "echo",
                        "/any",
                        "over http".getBytes(StandardCharsets.UTF_8));
        assertThat(http.statusCode()).isEqualTo(200);
        assertThat(text(http)).isEqualTo("over http");
    }

    @Test
    void smallInvocationsDoNotGrowMemorySoInstancesAreReused() {
        kiln.invoke(service(), "echo", "warm up");
        for (int i = 0; i < 5; i++) {
            var r = kiln.invoke(service(), "echo", "small " + i);
            assertThat(text(r)).isEqualTo("small " + i);
            // "pool": a used instance was reset from its snapshot, which only works when the
            // invocation before did not grow memory (the SDKs reserve heap in kiln_init).
            assertThat(header(r, "X-Kiln-Start")).isEqualTo("pool");
        }
    }

    @Test
    void orderEventBecomesASummaryAndLogsAsItGoes() {
        var r = kiln.invoke(service(), "order", ORDER);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        assertThat(text(r)).isEqualTo(ORDER_SUMMARY);

        JsonNode record = kiln.awaitRecord(service(), "order", header(r, "X-Kiln-Request-Id"));
        assertThat(messages(record))
                .containsExactly(
                        "order received A-1001 with 2 items",
                        "item 0: 2 x tea at 450 cents",
                        "item 1: 1 x cup at 350 cents",
                        "order A-1001 accepted: 3 units, 1250 cents");
        assertThat(record.path("logs").get(1).path("level").asText()).isEqualTo("debug");
        assertThat(record.path("outcome").asText()).isEqualTo("ok");

        // Escapes in names and values, non-ASCII text, no items.
        var escaped =
                kiln.invoke(
                        service(), "order", "{\"order\\u0049d\": \"E-\\u00e9\", \"items\": []}");
        assertThat(text(escaped))
                .isEqualTo(
                        "{\"orderId\":\"E-é\",\"lines\":0,\"quantity\":0,\"totalCents\":0,"
                                + "\"status\":\"accepted\"}");
    }

    @Test
    void badOrdersAreGuestErrorsWithTheSdkMessage() {
        assertGuestError(kiln.invoke(service(), "order", "{\"items\": []}"), "missing orderId");
        assertGuestError(
                kiln.invoke(
                        service(),
                        "order",
                        "{\"orderId\": \"B-7\", \"items\": [{\"sku\": \"a\"}, {\"quantity\": 1}]}"),
                "order B-7: item 1 has no sku");
        assertGuestError(
                kiln.invoke(
                        service(),
                        "order",
                        "{\"orderId\": \"B-8\", \"items\": [{\"sku\": \"a\", \"quantity\": 0}]}"),
                "order B-8: item 0 (a) has a bad quantity or price");
        var notJson = kiln.invoke(service(), "order", "{\"orderId\": ");
        assertThat(notJson.statusCode()).isEqualTo(500);
        assertThat(json(notJson).path("error").path("code").asText()).isEqualTo("guest_error");
        assertThat(json(notJson).path("error").path("message").asText()).contains("invalid JSON");

        // Guest errors leave the instance usable: the next order is served.
        assertThat(text(kiln.invoke(service(), "order", ORDER))).isEqualTo(ORDER_SUMMARY);
    }

    @Test
    void sha256MatchesJavasMessageDigest() throws Exception {
        Random random = new Random(256);
        // Block boundaries of the padding (55/56/64) and a payload of 1 MiB.
        for (int size : new int[] {0, 1, 55, 56, 63, 64, 65, 1000, 1 << 20}) {
            byte[] input = new byte[size];
            random.nextBytes(input);
            var r = kiln.invoke(service(), "sha256", input);
            assertThat(r.statusCode()).as("size %d: %s", size, text(r)).isEqualTo(200);
            String expected =
                    HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(input));
            assertThat(text(r)).as("size %d", size).isEqualTo(expected);
        }
        var http =
                kiln.http("POST", service(), "sha256", "", "abc".getBytes(StandardCharsets.UTF_8));
        assertThat(text(http))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void configComesFromTheFunctionsEnvSettings() {
        assertThat(text(kiln.invoke(service(), "config", "Kiln"))).isEqualTo("Hello, Kiln!");

        var patched = kiln.patch(service(), "config", "{\"env\": {\"GREETING\": \"Hi\"}}");
        assertThat(patched.statusCode()).as(text(patched)).isEqualTo(200);
        assertThat(text(kiln.invoke(service(), "config", "Kiln"))).isEqualTo("Hi, Kiln!");
        assertThat(text(kiln.invoke(service(), "config", ""))).isEqualTo("Hi, world!");

        kiln.patch(service(), "config", "{\"env\": {\"GREETING\": \"Grüß dich\"}}");
        assertThat(text(kiln.invoke(service(), "config", "Kiln"))).isEqualTo("Grüß dich, Kiln!");

        kiln.patch(service(), "config", "{\"env\": {\"GREETING\": null}}");
        assertThat(text(kiln.invoke(service(), "config", "Kiln"))).isEqualTo("Hello, Kiln!");
    }

    /**
     * The counter example (the SDK's key-value wrapper, ABI.md 4.12) counts across invocations, and
     * the count is still there after the host restarts on the same data directory.
     */
    @Test
    void counterCountsAcrossInvocationsAndSurvivesAHostRestart() {
        for (int i = 1; i <= 3; i++) {
            var r = kiln.http("GET", service(), "counter", "/home", new byte[0]);
            assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
            assertThat(header(r, "content-type")).isEqualTo("application/json");
            assertThat(text(r)).isEqualTo("{\"page\":\"/home\",\"views\":" + i + "}");
        }
        assertThat(text(kiln.http("GET", service(), "counter", "/a%20b", new byte[0])))
                .isEqualTo("{\"page\":\"/a%20b\",\"views\":1}");
        assertThat(kvValue("views:/home")).isEqualTo("3");

        kiln.restart();

        assertThat(text(kiln.http("GET", service(), "counter", "/home", new byte[0])))
                .isEqualTo("{\"page\":\"/home\",\"views\":4}");
        var del = kiln.http("DELETE", service(), "counter", "/a%20b", new byte[0]);
        assertThat(text(del)).isEqualTo("{\"page\":\"/a%20b\",\"deleted\":true}");
        assertThat(text(kiln.http("DELETE", service(), "counter", "/a%20b", new byte[0])))
                .isEqualTo("{\"page\":\"/a%20b\",\"deleted\":false}");
        var post = kiln.http("POST", service(), "counter", "/home", new byte[0]);
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(header(post, "allow")).isEqualTo("GET, DELETE");
    }

    /**
     * The counter's summary lists the keys through the SDK's paging (more than one page of 100,
     * keys long enough that a page outgrows the SDK's first buffer) and reads every value.
     */
    @Test
    void counterSummaryReadsEveryPageOfKeys() {
        JsonNode before = json(kiln.http("GET", service(), "counter", "/", new byte[0]));
        String pad = "x".repeat(180);
        for (int i = 0; i < 150; i++) {
            String key = "views:/list/" + i + "/" + pad;
            var put =
                    kiln.send(
                            kiln.admin(kvPath(key))
                                    .PUT(HttpRequest.BodyPublishers.ofString(String.valueOf(i)))
                                    .build());
            assertThat(put.statusCode()).as(text(put)).isEqualTo(204);
        }
        var r = kiln.http("GET", service(), "counter", "/", new byte[0]);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        JsonNode after = json(r);
        assertThat(after.path("pages").asLong()).isEqualTo(before.path("pages").asLong() + 150);
        // 0 + 1 + ... + 149
        assertThat(after.path("views").asLong()).isEqualTo(before.path("views").asLong() + 11175);
    }

    /** A store call the host refuses is a guest error naming the SDK's typed error. */
    @Test
    void counterAnswersTheStoresErrorForAKeyOverTheLimit() {
        // "views:" + a 300-byte path is over the 256-byte key limit: ERR_LIMIT (-3).
        var r = kiln.http("GET", service(), "counter", "/" + "k".repeat(299), new byte[0]);
        assertGuestError(r, "counter: key-value limit reached (-3)");
        assertThat(text(kiln.http("GET", service(), "counter", "/after-limit", new byte[0])))
                .isEqualTo("{\"page\":\"/after-limit\",\"views\":1}");
    }

    /**
     * The webhook example stores the seed's order event in the key-value store and POSTs an
     * acknowledgement to a server on loopback; without an allowedOutboundHosts entry the request is
     * denied and the example answers the SDK's typed error, with the order already stored.
     */
    @Test
    void webhookStoresTheOrderAndAcknowledgesItToAnAllowedServer() throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        HttpServer hook =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        hook.createContext(
                "/hook",
                x -> {
                    String type = x.getRequestHeaders().getFirst("content-type");
                    String body =
                            new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                    received.add(x.getRequestMethod() + " " + type + " " + body);
                    x.sendResponseHeaders(204, -1);
                    x.close();
                });
        hook.start();
        try {
            String base = "http://127.0.0.1:" + hook.getAddress().getPort();
            var env =
                    kiln.patch(
                            service(),
                            "webhook",
                            "{\"env\":{\"WEBHOOK_URL\":\"" + base + "/hook\"}}");
            assertThat(env.statusCode()).as(text(env)).isEqualTo(200);

            assertGuestError(
                    kiln.invoke(service(), "webhook", ORDER),
                    "webhook: denied by allowedOutboundHosts (-6)");
            assertThat(received).isEmpty();
            assertThat(kvValue("order:A-1001")).isEqualTo(ORDER);
            assertThat(kvValue("ack:A-1001")).isNull();

            var allow =
                    kiln.patch(
                            service(), "webhook", "{\"allowedOutboundHosts\":[\"" + base + "\"]}");
            assertThat(allow.statusCode()).as(text(allow)).isEqualTo(200);
            var r = kiln.invoke(service(), "webhook", ORDER);
            assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
            assertThat(text(r))
                    .isEqualTo(
                            "{\"orderId\":\"A-1001\",\"stored\":\"order:A-1001\","
                                    + "\"acknowledged\":204,\"duplicate\":false}");
            // The guest waited for the webhook's answer, so the POST has arrived.
            assertThat(received.poll())
                    .isEqualTo(
                            "POST application/json"
                                    + " {\"orderId\":\"A-1001\",\"status\":\"received\"}");
            var ack = kiln.send(kiln.admin(kvPath("ack:A-1001")).GET().build());
            assertThat(text(ack)).isEqualTo("204");
            assertThat(header(ack, "X-Kiln-Kv-Expires-At")).as("the ack's TTL").isNotNull();
            var stored = kiln.send(kiln.admin(kvPath("order:A-1001")).GET().build());
            assertThat(header(stored, "X-Kiln-Kv-Expires-At")).isNull();

            // Redelivered, even changed: the first event stays, nothing is posted again.
            var again = kiln.invoke(service(), "webhook", ORDER.replace("\"Ada\"", "\"Grace\""));
            assertThat(text(again))
                    .isEqualTo(
                            "{\"orderId\":\"A-1001\",\"stored\":\"order:A-1001\","
                                    + "\"acknowledged\":204,\"duplicate\":true}");
            assertThat(received).isEmpty();
            assertThat(kvValue("order:A-1001")).isEqualTo(ORDER);
        } finally {
            hook.stop(0);
        }
    }

    String kvPath(String key) {
        return "/api/v1/services/" + service() + "/kv/" + key.replace("/", "%2F");
    }

    /** A key's value through the admin API; null when missing. */
    String kvValue(String key) {
        var r = kiln.send(kiln.admin(kvPath(key)).GET().build());
        return r.statusCode() == 404 ? null : text(r);
    }

    void assertGuestError(HttpResponse<byte[]> r, String message) {
        assertThat(r.statusCode()).as(text(r)).isEqualTo(500);
        JsonNode error = json(r).path("error");
        assertThat(error.path("code").asText()).isEqualTo("guest_error");
        assertThat(error.path("message").asText()).isEqualTo(message);
    }
}
