package dev.kiln.host.triggers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import org.junit.jupiter.api.Test;

class EventFilterTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    @Test
    void matchesAnyListedValueOfEveryGivenField() throws Exception {
        var f =
                EventFilter.parse(
                        json(
                                "{\"type\":[\"order.submitted\"],\"order\":{\"region\":[\"eu\",\"us\"]}}"));
        assertThat(f.matches(json("{\"type\":\"order.submitted\",\"order\":{\"region\":\"eu\"}}")))
                .isTrue();
        assertThat(f.matches(json("{\"type\":\"order.submitted\",\"order\":{\"region\":\"ap\"}}")))
                .isFalse();
        assertThat(f.matches(json("{\"type\":\"order.cancelled\",\"order\":{\"region\":\"eu\"}}")))
                .isFalse();
        assertThat(f.matches(json("{\"type\":\"order.submitted\"}"))).isFalse();
        assertThat(f.matches(json("{\"type\":\"order.submitted\",\"order\":\"eu\"}"))).isFalse();
        assertThat(f.matches(json("[1,2]"))).isFalse();
        assertThat(f.matches(null)).isFalse();
    }

    @Test
    void numbersCompareByValueAndArraysMatchByAnyElement() throws Exception {
        var f = EventFilter.parse(json("{\"n\":[1],\"tags\":[\"x\"],\"ok\":[true],\"z\":[null]}"));
        assertThat(f.matches(json("{\"n\":1.0,\"tags\":[\"a\",\"x\"],\"ok\":true,\"z\":null}")))
                .isTrue();
        assertThat(f.matches(json("{\"n\":2,\"tags\":[\"x\"],\"ok\":true,\"z\":null}"))).isFalse();
        assertThat(f.matches(json("{\"n\":1,\"tags\":[\"x\"],\"ok\":\"true\",\"z\":null}")))
                .isFalse();
    }

    @Test
    void malformedPatternsAreBadRequests() {
        for (String bad :
                new String[] {
                    "[]",
                    "{}",
                    "\"type\"",
                    "{\"type\":\"order\"}",
                    "{\"type\":[]}",
                    "{\"type\":[{\"a\":1}]}",
                    "{\"a\":{}}",
                    "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":[1]}}}}}}",
                    "{\"a\":[\"" + "x".repeat(5000) + "\"]}"
                }) {
            assertThatThrownBy(() -> EventFilter.parse(json(bad)))
                    .as(bad.length() > 60 ? bad.substring(0, 60) : bad)
                    .isInstanceOf(KilnException.class)
                    .extracting(e -> ((KilnException) e).code())
                    .isEqualTo(ErrorCode.BAD_REQUEST);
        }
    }
}
