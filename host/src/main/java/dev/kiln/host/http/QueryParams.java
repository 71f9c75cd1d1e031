package dev.kiln.host.http;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import io.undertow.server.HttpServerExchange;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Deque;

/**
 * Reads query parameters, refusing malformed ones with 400 naming the parameter. A route reads only
 * the query parameters {@code openapi.json} declares for it ({@link ApiDescription}): reading
 * another is a bug in Kiln, refused as {@code internal} so that the test reaching it fails.
 */
final class QueryParams {
    private QueryParams() {}

    /** The first value of {@code name}, or null when absent. */
    static String first(HttpServerExchange ex, String name) {
        Deque<String> values = declared(ex, name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    /**
     * The value of {@code name}, or null when absent; 400 {@code bad_request} when it is given more
     * than once.
     */
    static String once(HttpServerExchange ex, String name) {
        Deque<String> values = declared(ex, name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw new KilnException(ErrorCode.BAD_REQUEST, name + " may be given once");
        }
        return values.getFirst();
    }

    // Null when absent: most requests carry no query string, and their read allocates nothing.
    private static Deque<String> declared(HttpServerExchange ex, String name) {
        AccessControl.RouteRule rule = ex.getAttachment(AccessControl.ROUTE);
        String route = rule == null ? null : rule.template();
        String method = ex.getRequestMethod().toString();
        if (route != null && !ApiDescription.queryParameters(method, route).contains(name)) {
            throw new IllegalStateException(
                    "query parameter '"
                            + name
                            + "' of "
                            + method
                            + " "
                            + route
                            + " is not declared in openapi.json");
        }
        return ex.getQueryParameters().get(name);
    }

    /** An integer from 1 to {@code max}, {@code dflt} when absent. */
    static int intFromOne(HttpServerExchange ex, String name, int dflt, int max) {
        String v = first(ex, name);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < 1 || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST, name + " must be an integer from 1 to " + max);
        }
    }

    /** An ISO-8601 instant or epoch milliseconds, null when absent. */
    static Instant instant(HttpServerExchange ex, String name) {
        String v = first(ex, name);
        if (v == null) {
            return null;
        }
        try {
            return !v.isEmpty() && v.length() < 19 && v.chars().allMatch(Character::isDigit)
                    ? Instant.ofEpochMilli(Long.parseLong(v))
                    : Instant.parse(v);
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST,
                    name
                            + " must be an ISO-8601 instant (2026-01-31T12:00:00Z) or epoch"
                            + " milliseconds");
        }
    }
}
