package dev.kiln.host.quota;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.host.storage.DocumentTable;
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

    private final DocumentTable table;

    /** Parsed quotas by service: read on every invocation, so never parsed there. */
    private final Map<String, ServiceQuota> parsed = new ConcurrentHashMap<>();

    private QuotaStore(DocumentTable table) {
        this.table = table;
        for (DocumentTable.Document d : table.all()) {
            parsed.put(d.owner(), parse(d.body()));
        }
    }

    public static QuotaStore open(Path dataDir) {
        return new QuotaStore(DocumentTable.open(dataDir.resolve(FILE_NAME), "quotas"));
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
            table.put(service, ID, JSON.writeValueAsString(quota));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        parsed.put(service, quota);
    }

    /** Removes the quota of {@code service}; returns whether there was one. */
    public synchronized boolean delete(String service) {
        boolean existed = table.delete(service, ID);
        parsed.remove(service);
        return existed;
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
