package dev.kiln.host.http;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.PathTemplateMatch;
import java.util.regex.Pattern;

/** Reads the {@code {name}} parts of a routed path template. */
final class PathParams {
    /**
     * The registry's service name rule: a service-wide API can only name a service that could
     * exist.
     */
    private static final Pattern SERVICE = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    private PathParams() {}

    /** The {@code {service}} part, refused with 400 unless it is a well-formed service name. */
    static String service(HttpServerExchange exchange) {
        String service = get(exchange, "service");
        if (!SERVICE.matcher(service).matches()) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST, "service name must match " + SERVICE.pattern());
        }
        return service;
    }

    static String get(HttpServerExchange exchange, String name) {
        PathTemplateMatch match = exchange.getAttachment(PathTemplateMatch.ATTACHMENT_KEY);
        return match.getParameters().get(name);
    }
}
