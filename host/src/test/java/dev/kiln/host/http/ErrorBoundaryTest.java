package dev.kiln.host.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.undertow.server.HttpServerExchange;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

class ErrorBoundaryTest {
    private static HttpServerExchange exchange(String requestId) {
        var ex = new HttpServerExchange(null);
        ex.putAttachment(Responses.REQUEST_ID, requestId);
        return ex;
    }

    /**
     * The request id the MDC holds inside {@code inner}'s run, nested in {@code outer}'s, then back
     * in {@code outer}'s after it; the MDC must be empty once both are done.
     */
    private static List<String> idsSeen(HttpServerExchange outer, HttpServerExchange inner) {
        List<String> seen = new ArrayList<>();
        ErrorBoundary.run(
                outer,
                () -> {
                    ErrorBoundary.run(inner, () -> seen.add(MDC.get("requestId")));
                    seen.add(MDC.get("requestId"));
                });
        assertThat(MDC.get("requestId")).isNull();
        return seen;
    }

    /** Log lines after an inner run (a body read inside the first run) still carry the id. */
    @Test
    void anInnerRunLeavesTheRequestIdForTheRestOfTheOuterOne() {
        var ex = exchange("01JREQUESTA");
        assertThat(idsSeen(ex, ex)).containsExactly("01JREQUESTA", "01JREQUESTA");
    }

    /** Another request's run inside this one (an answer sent from a callback) gives it back. */
    @Test
    void anotherRequestsRunInsideThisOneRestoresThisOnesId() {
        assertThat(idsSeen(exchange("01JREQUESTA"), exchange("01JREQUESTB")))
                .containsExactly("01JREQUESTB", "01JREQUESTA");
    }
}
