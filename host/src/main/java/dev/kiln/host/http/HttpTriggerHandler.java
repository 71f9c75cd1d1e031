package dev.kiln.host.http;

import dev.kiln.abi.Header;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.invoke.Invoker;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The HTTP trigger: any method on {@code /fn/{service}/{function}/{rest...}} hands the whole
 * request to the function, which answers with its own status, headers and body.
 */
final class HttpTriggerHandler implements HttpHandler {
    static final String PREFIX = "/fn/";

    private final Invoker invoker;
    private final long maxPayloadBytes;

    HttpTriggerHandler(Invoker invoker, long maxPayloadBytes) {
        this.invoker = invoker;
        this.maxPayloadBytes = maxPayloadBytes;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        // The raw (still percent-encoded) URI: the guest decides how to decode its own path.
        String raw = exchange.getRequestURI();
        int at = raw.indexOf(PREFIX);
        String tail = at < 0 ? "" : raw.substring(at + PREFIX.length());
        int slash1 = tail.indexOf('/');
        String service = slash1 < 0 ? tail : tail.substring(0, slash1);
        String afterService = slash1 < 0 ? "" : tail.substring(slash1 + 1);
        int slash2 = afterService.indexOf('/');
        String function = slash2 < 0 ? afterService : afterService.substring(0, slash2);
        String rest = slash2 < 0 ? "/" : afterService.substring(slash2);
        if (service.isEmpty() || function.isEmpty()) {
            throw new KilnException(
                    ErrorCode.FUNCTION_NOT_FOUND,
                    "HTTP trigger paths look like /fn/{service}/{function}/...");
        }
        List<Header> headers = new ArrayList<>();
        for (HeaderValues values : exchange.getRequestHeaders()) {
            String name = values.getHeaderName().toString().toLowerCase(Locale.ROOT);
            for (String v : values) {
                headers.add(new Header(name, v));
            }
        }
        var http =
                new HttpRequestMeta(
                        exchange.getRequestMethod().toString(),
                        rest,
                        exchange.getQueryString(),
                        headers,
                        exchange.getProtocol().toString(),
                        remoteAddress(exchange));
        InvocationDispatch.readAndDispatch(
                exchange, invoker, maxPayloadBytes, service, function, http);
    }

    /** The peer's IP address (what a CGI program sees as REMOTE_ADDR), empty when unknown. */
    private static String remoteAddress(HttpServerExchange exchange) {
        InetSocketAddress peer = exchange.getSourceAddress();
        if (peer == null || peer.getAddress() == null) {
            return "";
        }
        return peer.getAddress().getHostAddress();
    }
}
