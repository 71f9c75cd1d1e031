package dev.kiln.sdk.e2e;

import static dev.kiln.sdk.e2e.KilnUnderTest.header;
import static dev.kiln.sdk.e2e.KilnUnderTest.json;
import static dev.kiln.sdk.e2e.KilnUnderTest.messages;
import static dev.kiln.sdk.e2e.KilnUnderTest.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The order and transform examples every language runtime (JavaScript, Python, Java) ships, with
 * the same output and log lines in each: only the exception type that names a refusal differs.
 */
interface RuntimeExamplesContract {
    /** The transform example's input: two active users and one inactive. */
    byte[] USERS =
            """
            {"users": [
              {"first": "Grace", "last": "Hopper", "email": "Grace@Navy.MIL"},
              {"first": "Ada", "last": "Lovelace", "email": "ADA@Example.org", "active": true},
              {"first": "Bob", "active": false}
            ]}\
            """
                    .getBytes(StandardCharsets.UTF_8);

    KilnUnderTest kiln();

    String service();

    /** The exception type of the order example's refusals ("Error", "ValueError", …). */
    String refusalType();

    /** Asserts {@code r} is a guest_error carrying {@code message} as this runtime reports it. */
    default void assertGuestError(HttpResponse<byte[]> r, String message) {
        assertThat(r.statusCode()).as(text(r)).isEqualTo(500);
        JsonNode error = json(r).path("error");
        assertThat(error.path("code").asText()).isEqualTo("guest_error");
        assertThat(error.path("message").asText()).isEqualTo(message);
    }

    @Test
    default void orderEventBecomesASummaryWithLogs() {
        var r = kiln().invoke(service(), "order", SdkExamplesContract.ORDER);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        assertThat(text(r)).isEqualTo(SdkExamplesContract.ORDER_SUMMARY);
        JsonNode record = kiln().awaitRecord(service(), "order", header(r, "X-Kiln-Request-Id"));
        assertThat(messages(record))
                .containsExactly(
                        "order received A-1001 with 2 items",
                        "item 0: 2 x tea at 450 cents",
                        "item 1: 1 x cup at 350 cents",
                        "order A-1001 accepted: 3 units, 1250 cents");

        String type = refusalType() + ": ";
        assertGuestError(
                kiln().invoke(service(), "order", "{\"items\": []}"), type + "missing orderId");
        assertGuestError(
                kiln().invoke(
                                service(),
                                "order",
                                "{\"orderId\": \"B-8\", \"items\": [{\"sku\": \"a\", \"quantity\":"
                                        + " 0}]}"),
                type + "order B-8: item 0 (a) has a bad quantity or price");
        assertGuestError(
                kiln().invoke(service(), "order", "{\"orderId\": "), type + "invalid JSON");
        assertThat(text(kiln().invoke(service(), "order", SdkExamplesContract.ORDER)))
                .isEqualTo(SdkExamplesContract.ORDER_SUMMARY);
    }

    @Test
    default void transformAnswersJsonWithStatusAndHeaders() {
        var r = kiln().http("POST", service(), "transform", "", USERS);
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        assertThat(header(r, "content-type")).isEqualTo("application/json");
        assertThat(header(r, "x-transform")).isEqualTo("users-v1");
        assertThat(text(r))
                .isEqualTo(
                        "{\"count\":2,\"users\":[{\"name\":\"Ada Lovelace\",\"email\":"
                                + "\"ada@example.org\"},{\"name\":\"Grace Hopper\",\"email\":"
                                + "\"grace@navy.mil\"}]}");

        var bad =
                kiln().http(
                                "POST",
                                service(),
                                "transform",
                                "",
                                "nope".getBytes(StandardCharsets.UTF_8));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(text(bad)).startsWith("not JSON: ");
    }
}
