package dev.kiln.host.routes;

/**
 * A request that a route takes.
 *
 * @param route the route that won
 * @param rest the request path after the route's prefix, as sent (still percent-encoded), starting
 *     with {@code /}: what the guest sees as its path
 */
public record RouteMatch(Route route, String rest) {}
