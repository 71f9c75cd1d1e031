package dev.kiln.host.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.PathTemplateMatch;

/** Reads the {@code {name}} parts of a routed path template. */
final class PathParams {
    private PathParams() {}

    static String get(HttpServerExchange exchange, String name) {
        PathTemplateMatch match = exchange.getAttachment(PathTemplateMatch.ATTACHMENT_KEY);
        return match.getParameters().get(name);
    }
}
