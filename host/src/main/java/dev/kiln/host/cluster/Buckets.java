package dev.kiln.host.cluster;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.ObjectStore;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.ObjectStoreConfiguration;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.time.Duration;

/**
 * The JetStream buckets cluster mode uses, created by whichever node comes first (creating one that
 * exists with the same configuration is a no-op on the server). Only features of nats-server 2.9
 * (docs/adr/0048).
 */
final class Buckets {
    /** Function documents and versions (docs/adr/0048). */
    static final String REGISTRY = "kiln-registry";

    /** Node heartbeats; an entry older than the bucket's max age is gone. */
    static final String NODES = "kiln-nodes";

    /** Module bytes, named by their sha-256. */
    static final String MODULES = "kiln-modules";

    static final Duration NODE_MAX_AGE = Duration.ofMinutes(1);

    /**
     * JetStream requests wait up to 10 s (jnats' default is 2 s): on two busy cores a write can
     * take longer, and a stream election stalls writes 4–9 s (measured, DESIGN.md); a node that
     * cannot reach NATS at all is refused at once without waiting (docs/adr/0048).
     */
    static final io.nats.client.JetStreamOptions JS_OPTIONS =
            io.nats.client.JetStreamOptions.builder()
                    .requestTimeout(Duration.ofSeconds(10))
                    .build();

    private Buckets() {}

    static KeyValue registry(Connection nc, int replicas) throws IOException {
        return kv(
                nc,
                KeyValueConfiguration.builder()
                        .name(REGISTRY)
                        .description("Kiln functions, versions and aliases")
                        .maxHistoryPerKey(1)
                        .storageType(StorageType.File)
                        .replicas(replicas)
                        .build());
    }

    static KeyValue nodes(Connection nc, int replicas) throws IOException {
        return kv(
                nc,
                KeyValueConfiguration.builder()
                        .name(NODES)
                        .description("Kiln node heartbeats")
                        .maxHistoryPerKey(1)
                        .ttl(NODE_MAX_AGE)
                        .storageType(StorageType.File)
                        .replicas(replicas)
                        .build());
    }

    static ObjectStore modules(Connection nc, int replicas) throws IOException {
        try {
            var osm = nc.objectStoreManagement();
            if (!osm.getBucketNames().contains(MODULES)) {
                try {
                    osm.create(
                            ObjectStoreConfiguration.builder()
                                    .name(MODULES)
                                    .description("Kiln module bytes by sha-256")
                                    .storageType(StorageType.File)
                                    .replicas(replicas)
                                    .build());
                } catch (JetStreamApiException e) {
                    // another node created it meanwhile
                }
            }
            return nc.objectStore(
                    MODULES, io.nats.client.ObjectStoreOptions.builder(JS_OPTIONS).build());
        } catch (JetStreamApiException e) {
            throw new IOException("JetStream refused the object store " + MODULES, e);
        }
    }

    private static KeyValue kv(Connection nc, KeyValueConfiguration config) throws IOException {
        try {
            var kvm = nc.keyValueManagement();
            if (!kvm.getBucketNames().contains(config.getBucketName())) {
                try {
                    kvm.create(config);
                } catch (JetStreamApiException e) {
                    // another node created it meanwhile
                }
            }
            return nc.keyValue(
                    config.getBucketName(),
                    io.nats.client.KeyValueOptions.builder(JS_OPTIONS).build());
        } catch (JetStreamApiException e) {
            throw new IOException(
                    "JetStream refused the key-value bucket "
                            + config.getBucketName()
                            + " (is JetStream enabled on the NATS servers?)",
                    e);
        }
    }
}
