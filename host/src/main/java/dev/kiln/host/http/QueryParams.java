package dev.kiln.host.http;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import io.undertow.server.HttpServerExchange;
import java.util.Deque;

/** Reads query parameters, refusing malformed ones with 400 naming the parameter. */
final class QueryParams {
    private QueryParams() {}

    /** The first value of {@code name}, or null when absent. */
    static String first(HttpServerExchange ex, String name) {
        Deque<String> values = ex.getQueryParameters().get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
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
}
