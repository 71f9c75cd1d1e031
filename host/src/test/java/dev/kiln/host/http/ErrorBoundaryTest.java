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

    /** Log lines after an inner run (a body read inside the first run) still carry the id. */
    @Test
    void anInnerRunLeavesTheRequestIdForTheRestOfTheOuterOne() {
        var ex = exchange("01JREQUESTA");
        List<String> seen = new ArrayList<>();
        ErrorBoundary.run(
                ex,
                () -> {
                    ErrorBoundary.run(ex, () -> seen.add(MDC.get("requestId")));
                    seen.add(MDC.get("requestId"));
                });
        assertThat(seen).containsExactly("01JREQUESTA", "01JREQUESTA");
        assertThat(MDC.get("requestId")).isNull();
    }

    /** Another request's run inside this one (an answer sent from a callback) gives it back. */
    @Test
    void anotherRequestsRunInsideThisOneRestoresThisOnesId() {
        var outer = exchange("01JREQUESTA");
        var inner = exchange("01JREQUESTB");
        List<String> seen = new ArrayList<>();
        ErrorBoundary.run(
                outer,
                () -> {
                    ErrorBoundary.run(inner, () -> seen.add(MDC.get("requestId")));
                    seen.add(MDC.get("requestId"));
                });
        assertThat(seen).containsExactly("01JREQUESTB", "01JREQUESTA");
        assertThat(MDC.get("requestId")).isNull();
    }
}
