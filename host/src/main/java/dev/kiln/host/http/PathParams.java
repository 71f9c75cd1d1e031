package dev.kiln.host.http;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.PathTemplateMatch;

/** Reads the {@code {name}} parts of a routed path template. */
final class PathParams {
    private PathParams() {}

    /**
     * The {@code {service}} part, refused with 400 unless it follows the registry's name rule: a
     * service-wide API can only name a service that could exist.
     */
    static String service(HttpServerExchange exchange) {
        String service = get(exchange, "service");
        if (!FunctionName.NAME.matcher(service).matches()) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST,
                    "service name must match " + FunctionName.NAME.pattern());
        }
        return service;
    }

    static String get(HttpServerExchange exchange, String name) {
        PathTemplateMatch match = exchange.getAttachment(PathTemplateMatch.ATTACHMENT_KEY);
        return match.getParameters().get(name);
    }
}
