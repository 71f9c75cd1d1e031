package dev.kiln.host.events;

import static dev.kiln.host.testing.TestHost.await;
import static dev.kiln.host.testing.TestHost.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed scenario end to end: "a user submitted an order" is published to the {@code orders}
 * topic; the subscribed function runs with the order id and logs a summary; the invocation and its
 * log line are found through the API.
 */
class SeedScenarioTest {
    @TempDir Path data;

    @Test
    void anOrderSubmittedEventReachesItsSubscriberAndItsLogLineIsFoundThroughTheApi() {
        try (TestHost kiln = TestHost.start(data)) {
            String fn = "/api/v1/services/shop/functions/order-summary";
            assertThat(
                            kiln.deploy("shop", "order-summary", Wat.fixture("order_summary"))
                                    .statusCode())
                    .isEqualTo(201);
            var sub =
                    kiln.sendJson(
                            "POST",
                            fn + "/triggers",
                            "{\"id\":\"on-order-submitted\",\"type\":\"topic\",\"topic\":\"orders\","
                                + "\"filter\":{\"type\":[\"order.submitted\"]}}");
            assertThat(sub.statusCode()).isEqualTo(201);

            var published =
                    kiln.send(
                            kiln.admin("/api/v1/topics/orders/events")
                                    .header("Content-Type", "application/json")
                                    .POST(
                                            HttpRequest.BodyPublishers.ofString(
                                                    "{\"type\":\"order.submitted\","
                                                        + "\"orderId\":\"A-1001\",\"items\":3}"))
                                    .build());
            assertThat(published.statusCode()).isEqualTo(202);
            JsonNode delivery = json(published).path("deliveries").get(0);
            assertThat(delivery.path("function").asText()).isEqualTo("order-summary");
            assertThat(delivery.path("trigger").asText()).isEqualTo("on-order-submitted");
            String requestId = delivery.path("requestId").asText();

            await(
                    "the order's invocation record",
                    Duration.ofSeconds(20),
                    () -> kiln.get(fn + "/invocations/" + requestId).statusCode() == 200);
            JsonNode record = json(kiln.get(fn + "/invocations/" + requestId));
            assertThat(record.path("outcome").asText()).isEqualTo("ok");
            assertThat(record.path("trigger").asText()).isEqualTo("event");
            assertThat(record.path("logs").findValuesAsText("message"))
                    .containsExactly("order received A-1001");

            JsonNode logs = json(kiln.get(fn + "/logs"));
            assertThat(logs.path("logs"))
                    .anySatisfy(
                            l -> {
                                assertThat(l.path("message").asText())
                                        .isEqualTo("order received A-1001");
                                assertThat(l.path("requestId").asText()).isEqualTo(requestId);
                            });

            // An order that was cancelled does not match the subscription.
            var cancelled =
                    kiln.send(
                            kiln.admin("/api/v1/topics/orders/events")
                                    .POST(
                                            HttpRequest.BodyPublishers.ofString(
                                                    "{\"type\":\"order.cancelled\",\"orderId\":\"A-1002\"}"))
                                    .build());
            assertThat(json(cancelled).path("deliveries")).isEmpty();
        }
    }
}
