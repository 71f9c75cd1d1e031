package dev.kiln.host.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.storage.DocumentTable;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Stored {@link AsyncConfig}s, one per function that has one, read from memory. */
final class AsyncConfigs {
    private static final String ID = "async";

    private final DocumentTable table;
    private final EventLimits limits;
    private final Map<FunctionName, Optional<AsyncConfig>> parsed = new ConcurrentHashMap<>();

    AsyncConfigs(DocumentTable table, EventLimits limits) {
        this.table = table;
        this.limits = limits;
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
        return table.get(owner(service, function), ID)
                .map(
                        d -> {
                            try {
                                return AsyncConfig.fromJson(
                                        AsyncConfig.JSON.readTree(d.body()), service, limits);
                            } catch (JsonProcessingException | RuntimeException e) {
                                // Settings stored under looser caps than today's: keep serving.
                                return AsyncConfig.defaults(limits);
                            }
                        });
    }

    synchronized void put(String service, String function, AsyncConfig config) {
        table.put(owner(service, function), ID, config.toJson().toString());
        parsed.put(new FunctionName(service, function), Optional.of(config));
    }

    synchronized boolean delete(String service, String function) {
        boolean existed = table.delete(owner(service, function), ID);
        parsed.remove(new FunctionName(service, function));
        return existed;
    }

    /** The table's owner column for a function's settings: {@code service/function}. */
    private static String owner(String service, String function) {
        return new FunctionName(service, function).toString();
    }
}
