package dev.kiln.host.quota;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.host.storage.DocumentStore;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Service quotas, durable in {@code <data>/quotas.db} and read from memory: one document per
 * service. A quota outlives its service's functions (a tenant can be given a quota before its first
 * deploy).
 */
public final class QuotaStore implements AutoCloseable {
    static final String FILE_NAME = "quotas.db";
    private static final String ID = "quota";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DocumentStore table;

    /** Parsed quotas by service: read on every invocation, so never parsed there. */
    private final Map<String, ServiceQuota> parsed = new ConcurrentHashMap<>();

    private QuotaStore(DocumentStore table) {
        this.table = table;
    }

    public static QuotaStore open(Path dataDir) {
        return open(DocumentStore.Opener.sqlite(dataDir));
    }

    /** Opens the quotas {@code documents} keep (a cluster's are every node's, docs/adr/0054). */
    public static QuotaStore open(DocumentStore.Opener documents) {
        var store = new QuotaStore(documents.open(FILE_NAME, "quotas"));
        store.table.listen(store::changed);
        return store;
    }

    /** Keeps the parsed quotas in step with the table, whoever changed it. */
    private void changed(String service, String id, String body) {
        if (body == null) {
            parsed.remove(service);
        } else {
            parsed.put(service, parse(body));
        }
    }

    /** The quota of {@code service}, or {@link ServiceQuota#NONE}. */
    public ServiceQuota get(String service) {
        return parsed.getOrDefault(service, ServiceQuota.NONE);
    }

    /** Stores {@code quota} (durably); an empty quota removes it. */
    public synchronized void put(String service, ServiceQuota quota) {
        if (quota.isEmpty()) {
            delete(service);
            return;
        }
        try {
            table.put(service, ID, JSON.writeValueAsString(quota)); // parsed by changed()
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Removes the quota of {@code service}; returns whether there was one. */
    public synchronized boolean delete(String service) {
        return table.delete(service, ID);
    }

    private static ServiceQuota parse(String body) {
        try {
            return JSON.readValue(body, ServiceQuota.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored quota is not readable", e);
        }
    }

    @Override
    public void close() {
        table.close();
    }
}
