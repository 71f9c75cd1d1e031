package dev.kiln.host.http;

import dev.kiln.abi.Header;
import dev.kiln.host.access.Principal;
import dev.kiln.host.access.Role;
import dev.kiln.host.invoke.Replays;
import dev.kiln.host.replay.Divergence;
import dev.kiln.host.replay.Recording;
import dev.kiln.host.replay.ReplayResult;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.util.Headers;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.List;

/**
 * {@code POST …/invocations/{requestId}/replay} runs a recorded invocation again and says whether
 * it came out identical; {@code GET …/invocations/{requestId}/recording} exports the recording as a
 * file {@code kiln replay FILE} runs anywhere (docs/adr/0041). Secret values leave the host in
 * clear only for an administrator.
 */
final class ReplayApi {
    private static final String INVOCATION =
            "/api/v1/services/{service}/functions/{function}/invocations/{requestId}";

    private final Replays replays;

    ReplayApi(Replays replays) {
        this.replays = replays;
    }

    RoutingHandler addTo(RoutingHandler routes) {
        return routes.post(INVOCATION + "/replay", blocking(this::replay))
                .get(INVOCATION + "/recording", blocking(this::export));
    }

    /** A replay's answer. */
    record ReplayView(
            String requestId,
            boolean identical,
            ResultView replayed,
            ResultView recorded,
            List<ReplayResult.Difference> differences,
            Divergence divergence,
            boolean secretsRedacted) {}

    /** One run's result; the output as base64. */
    record ResultView(
            String outcome,
            int status,
            List<Header> headers,
            String outputBase64,
            int outputBytes,
            long fuel,
            String message) {
        static ResultView of(Recording.Result r) {
            return new ResultView(
                    r.outcome(),
                    r.status(),
                    r.headers(),
                    Base64.getEncoder().encodeToString(r.body()),
                    r.body().length,
                    r.fuel(),
                    r.message());
        }
    }

    private void replay(HttpServerExchange ex) {
        String id = PathParams.get(ex, "requestId");
        ReplayResult r =
                replays.replay(PathParams.get(ex, "service"), PathParams.get(ex, "function"), id);
        Responses.json(
                ex,
                200,
                new ReplayView(
                        id,
                        r.identical(),
                        ResultView.of(r.replayed()),
                        ResultView.of(r.recorded()),
                        r.differences(),
                        r.divergence(),
                        r.secretsRedacted()));
    }

    private void export(HttpServerExchange ex) {
        Principal who = ex.getAttachment(AccessControl.PRINCIPAL);
        String id = PathParams.get(ex, "requestId");
        byte[] file =
                replays.export(
                        PathParams.get(ex, "service"),
                        PathParams.get(ex, "function"),
                        id,
                        who != null && who.role() == Role.ADMIN);
        ex.setStatusCode(200);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        ex.getResponseHeaders()
                .put(
                        Headers.CONTENT_DISPOSITION,
                        "attachment; filename=\"" + id + ".kiln-recording.json\"");
        ex.getResponseSender().send(ByteBuffer.wrap(file));
    }

    private static HttpHandler blocking(HttpHandler handler) {
        return exchange ->
                exchange.dispatch(
                        () -> ErrorBoundary.run(exchange, () -> handler.handleRequest(exchange)));
    }
}
