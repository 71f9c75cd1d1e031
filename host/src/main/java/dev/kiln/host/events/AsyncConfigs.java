package dev.kiln.host.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.storage.DocumentStore;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stored {@link AsyncConfig}s, one per function that has one, read from memory; the memory follows
 * the table whichever node changed it (a cluster's, docs/adr/0054).
 */
final class AsyncConfigs {
    private static final String ID = "async";

    private final DocumentStore table;
    private final EventLimits limits;
    private final Map<FunctionName, Optional<AsyncConfig>> parsed = new ConcurrentHashMap<>();

    AsyncConfigs(DocumentStore table, EventLimits limits) {
        this.table = table;
        this.limits = limits;
        table.listen(this::changed);
    }

    /**
     * A change of the table, from this node or another: parsed now (a put waits for a lookup of the
     * same function that is computing, so a lookup's older copy cannot win).
     */
    private void changed(String owner, String id, String body) {
        if (!ID.equals(id)) {
            return;
        }
        FunctionName f = FunctionName.parse(owner);
        if (body == null) {
            parsed.remove(f);
        } else {
            parsed.put(f, Optional.of(parse(f.service(), body)));
        }
    }

    /** The function's own settings, or the host's defaults. */
    AsyncConfig of(String service, String function) {
        return stored(service, function).orElseGet(() -> AsyncConfig.defaults(limits));
    }

    Optional<AsyncConfig> stored(String service, String function) {
        return parsed.computeIfAbsent(
                new FunctionName(service, function), k -> load(service, function));
    }

    private Optional<AsyncConfig> load(String service, String function) {
        return table.get(owner(service, function), ID).map(d -> parse(service, d.body()));
    }

    private AsyncConfig parse(String service, String body) {
        try {
            return AsyncConfig.fromJson(AsyncConfig.JSON.readTree(body), service, limits);
        } catch (JsonProcessingException | RuntimeException e) {
            // Settings stored under looser caps than today's: keep serving.
            return AsyncConfig.defaults(limits);
        }
    }

    /** Stores {@code config}; read by every lookup once this returns ({@link #changed}). */
    synchronized void put(String service, String function, AsyncConfig config) {
        table.put(owner(service, function), ID, config.toJson().toString());
    }

    synchronized boolean delete(String service, String function) {
        return table.delete(owner(service, function), ID);
    }

    /** The table's owner column for a function's settings: {@code service/function}. */
    private static String owner(String service, String function) {
        return new FunctionName(service, function).toString();
    }
}
