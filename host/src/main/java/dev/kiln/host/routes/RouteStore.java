package dev.kiln.host.routes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.storage.DocumentStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Custom-domain routes, durable in {@code <data>/routes.db} (one document per route; a cluster's in
 * its documents bucket, docs/adr/0054) and matched from memory: every change is committed first,
 * then a new {@link RouteTable} is swapped in, so the next request sees it (docs/adr/0038).
 */
public final class RouteStore implements AutoCloseable {
    static final String FILE_NAME = "routes.db";
    private static final String OWNER = "route";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DocumentStore table;
    private final int maxRoutes;

    /**
     * Routes by id, in id order, as the table holds them: changed only by {@link #changed}, which
     * the table calls one change at a time, whichever node made it.
     */
    private final Map<String, Route> routes = new ConcurrentSkipListMap<>();

    /** What requests are matched against: replaced whole on every change. */
    private volatile RouteTable current = RouteTable.EMPTY;

    private RouteStore(DocumentStore table, int maxRoutes) {
        this.table = table;
        this.maxRoutes = maxRoutes;
    }

    private void changed(String owner, String id, String body) {
        if (!OWNER.equals(owner)) {
            return;
        }
        if (body == null) {
            routes.remove(id);
        } else {
            routes.put(id, parse(body));
        }
        current = new RouteTable(routes.values());
    }

    /**
     * Opens the routes of {@code dataDir}.
     *
     * @param maxRoutes routes the host stores at most
     */
    public static RouteStore open(Path dataDir, int maxRoutes) {
        return open(DocumentStore.Opener.sqlite(dataDir), maxRoutes);
    }

    /** Opens the routes {@code documents} keep (a cluster's are every node's). */
    public static RouteStore open(DocumentStore.Opener documents, int maxRoutes) {
        if (maxRoutes < 1) {
            throw new IllegalArgumentException("maxRoutes must be positive, got " + maxRoutes);
        }
        var store = new RouteStore(documents.open(FILE_NAME, "routes"), maxRoutes);
        store.table.listen(store::changed);
        return store;
    }

    /** What a request is matched against now. */
    public RouteTable table() {
        return current;
    }

    /**
     * Creates or replaces the route {@code route.id()}; returns whether it was created. Refused
     * with {@code conflict} when another route has the same host and prefix, or when a new route
     * would exceed {@code maxRoutes}.
     */
    public synchronized boolean put(Route route) {
        for (Route other : routes.values()) {
            if (!other.id().equals(route.id())
                    && other.host().equals(route.host())
                    && other.pathPrefix().equals(route.pathPrefix())) {
                throw new KilnException(
                        ErrorCode.CONFLICT,
                        "route '"
                                + other.id()
                                + "' already routes "
                                + route.host()
                                + route.pathPrefix()
                                + "; change or delete it first");
            }
        }
        boolean created = !routes.containsKey(route.id());
        if (created && routes.size() >= maxRoutes) {
            throw new KilnException(
                    ErrorCode.CONFLICT,
                    "this host holds its maximum of "
                            + maxRoutes
                            + " routes (--max-routes); delete one first");
        }
        try {
            // matched from the next request on: changed() has swapped the table when this returns
            table.put(OWNER, route.id(), JSON.writeValueAsString(route));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return created;
    }

    public Optional<Route> get(String id) {
        return Optional.ofNullable(routes.get(id));
    }

    /** Every route, sorted by id. */
    public List<Route> list() {
        return new ArrayList<>(routes.values());
    }

    /** Deletes a route; returns whether it existed. */
    public synchronized boolean delete(String id) {
        if (!routes.containsKey(id)) {
            return false;
        }
        table.delete(OWNER, id);
        return true;
    }

    public int maxRoutes() {
        return maxRoutes;
    }

    private static Route parse(String body) {
        try {
            return JSON.readValue(body, Route.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored route is not readable", e);
        }
    }

    @Override
    public void close() {
        table.close();
    }
}
