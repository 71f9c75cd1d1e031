package dev.kiln.host.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DestinationRecordsTest {
    static QueuedEvent event(byte[] payload) {
        return new QueuedEvent(
                1,
                new EventFields("01REQ", "shop", "orders", "event", "topic:orders", payload),
                0,
                Instant.parse("2026-01-01T00:00:00Z"),
                2,
                Instant.parse("2026-01-01T00:00:00Z"),
                null,
                null,
                null);
    }

    static JsonNode parse(byte[] record) throws Exception {
        return AsyncConfig.JSON.readTree(record);
    }

    @Test
    void aSuccessRecordCarriesContextRequestAndResponse() throws Exception {
        byte[] in = "{\"orderId\":\"A-1\"}".getBytes(StandardCharsets.UTF_8);
        byte[] out = "accepted".getBytes(StandardCharsets.UTF_8);
        JsonNode r =
                parse(DestinationRecords.record(event(in), "success", 2, "ok", null, out, 65536));
        assertThat(r.path("requestContext").path("requestId").asText()).isEqualTo("01REQ");
        assertThat(r.path("requestContext").path("condition").asText()).isEqualTo("success");
        assertThat(r.path("requestContext").path("approximateInvokeCount").asInt()).isEqualTo(2);
        assertThat(r.path("requestContext").path("source").asText()).isEqualTo("topic:orders");
        assertThat(r.path("requestPayload").path("orderId").asText()).isEqualTo("A-1");
        assertThat(r.path("responsePayload").asText()).isEqualTo("accepted");
        assertThat(r.path("responseContext").path("outcome").asText()).isEqualTo("ok");
    }

    @Test
    void binaryPayloadsAreBase64AndOversizedOnesAreLeftOut() throws Exception {
        byte[] binary = {(byte) 0xff, 0, (byte) 0xfe};
        JsonNode r =
                parse(
                        DestinationRecords.record(
                                event(binary),
                                "retries_exhausted",
                                3,
                                "guest_trap",
                                "unreachable",
                                null,
                                65536));
        assertThat(r.path("requestPayloadBase64").asText()).isEqualTo("/wD+");
        assertThat(r.path("responseContext").path("error").asText()).isEqualTo("unreachable");
        assertThat(r.has("responsePayload")).isFalse();

        byte[] big = "x".repeat(100_000).getBytes(StandardCharsets.UTF_8);
        byte[] record = DestinationRecords.record(event(big), "success", 1, "ok", null, big, 65536);
        JsonNode o = parse(record);
        assertThat(o.path("requestPayloadOmitted").asBoolean()).isTrue();
        assertThat(o.path("responsePayloadOmitted").asBoolean()).isTrue();
        assertThat(record.length).isLessThan(65536);
    }
}
