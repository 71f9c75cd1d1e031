package dev.kiln.host.http;

import dev.kiln.host.core.KilnException;
import dev.kiln.host.registry.Registry;
import io.undertow.server.HttpServerExchange;

/**
 * What an invocation must pass before Kiln reads a byte of its body: a refused request costs the
 * host no buffer. Today that is "the function exists"; a caller's credentials check goes here too,
 * with {@link #andThen}. A refusal is answered at once; {@link Responses#error} closes the
 * connection after it when the body was left unread.
 */
@FunctionalInterface
interface BeforeBody {
    /**
     * Refuses a request before its body is read, or lets it through.
     *
     * @throws KilnException the refusal to answer with
     */
    void check(HttpServerExchange exchange, String service, String function);

    default BeforeBody andThen(BeforeBody next) {
        return (exchange, service, function) -> {
            check(exchange, service, function);
            next.check(exchange, service, function);
        };
    }

    /** {@code function_not_found} unless the function exists (the registry's in-memory cache). */
    static BeforeBody functionExists(Registry registry) {
        return (exchange, service, function) -> registry.require(service, function);
    }
}
