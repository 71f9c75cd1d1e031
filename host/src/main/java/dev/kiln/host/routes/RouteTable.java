package dev.kiln.host.routes;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The routes at one moment, indexed for the request path: exact hosts in one map, wildcards by
 * their suffix in another, each host's routes longest prefix first. Immutable; a change builds a
 * new table and swaps it in ({@link RouteStore}), so the next request sees it.
 *
 * <p>Which route wins (docs/adr/0038): the longest matching prefix; at equal prefixes an exact host
 * before a wildcard, and a longer wildcard suffix before a shorter one. Two routes with the same
 * host pattern and prefix cannot exist, so the winner is always one route.
 */
public final class RouteTable {
    public static final RouteTable EMPTY = new RouteTable(List.of());

    private static final Comparator<Route> LONGEST_PREFIX_FIRST =
            Comparator.comparingInt((Route r) -> r.pathPrefix().length()).reversed();

    private final Map<String, List<Route>> exact = new HashMap<>();
    private final Map<String, List<Route>> wildcard = new HashMap<>();
    private final int size;

    RouteTable(Collection<Route> routes) {
        for (Route r : routes) {
            HostPattern p = r.hostPattern();
            (p.wildcard() ? wildcard : exact)
                    .computeIfAbsent(p.suffix(), k -> new ArrayList<>())
                    .add(r);
        }
        exact.values().forEach(l -> l.sort(LONGEST_PREFIX_FIRST));
        wildcard.values().forEach(l -> l.sort(LONGEST_PREFIX_FIRST));
        this.size = routes.size();
    }

    public int size() {
        return size;
    }

    /**
     * The route that takes a request to {@code host} (a {@linkplain RequestHost#normalise
     * normalised} Host, or null) for {@code path} (the raw path, without the query), if any.
     */
    public Optional<RouteMatch> match(String host, String path) {
        if (size == 0 || host == null) {
            return Optional.empty();
        }
        RouteMatch best = first(exact.get(host), path);
        // Wildcard suffixes of the host, longest first: a.b.example.com → b.example.com,
        // example.com, com.
        for (int dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
            RouteMatch m = first(wildcard.get(host.substring(dot + 1)), path);
            if (m != null
                    && (best == null
                            || m.route().pathPrefix().length()
                                    > best.route().pathPrefix().length())) {
                best = m;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The first (longest-prefix) route of {@code routes} that matches {@code path}. */
    private static RouteMatch first(List<Route> routes, String path) {
        if (routes == null) {
            return null;
        }
        for (Route r : routes) {
            String rest = PathPrefix.rest(r.pathPrefix(), path);
            if (rest != null) {
                return new RouteMatch(r, rest);
            }
        }
        return null;
    }
}
