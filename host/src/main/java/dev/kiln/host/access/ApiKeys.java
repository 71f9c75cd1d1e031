package dev.kiln.host.access;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.storage.DocumentStore;
import dev.kiln.host.storage.DocumentTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The host's API keys: stored as SHA-256 hashes in {@code kiln.db} (table {@code api_keys}), kept
 * in memory for checks, revoked at once. A key reads {@code kiln_k_<id>_<secret>}: the id (public,
 * 16 hex digits) finds the stored hash, the secret is 256 random bits. The bootstrap admin token
 * (from configuration) is a key of role admin with id {@value #ADMIN_TOKEN_ID}; it cannot be
 * deleted through the API (docs/adr/0033-api-keys-and-roles.md).
 */
public final class ApiKeys implements AutoCloseable {
    public static final String ADMIN_TOKEN_ID = "admin-token";
    public static final String ADMIN_TOKEN_NAME = "bootstrap admin token (configuration)";

    /** Every token Kiln generates starts with this (keys and the generated admin token). */
    public static final String KILN_TOKEN_PREFIX = "kiln_";

    static final String KEY_PREFIX = "kiln_k_";
    private static final int ID_HEX_DIGITS = 16;
    private static final String OWNER = "key";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Compared against when the id names no key, so an unknown id costs the same hash + compare.
     */
    private static final byte[] NO_KEY = new byte[32];

    /** A stored key: everything but its secret, of which only the hash is kept. */
    public record StoredKey(
            String id,
            String name,
            Role role,
            ServiceScope services,
            Instant createdAt,
            byte[] hash) {
        Principal principal() {
            return new Principal(id, name, role, services);
        }
    }

    /** A key just created, with its secret (shown once, then only its hash exists). */
    public record Created(StoredKey key, String secret) {}

    private final DocumentStore table;
    private final byte[] adminHash;
    private final Principal admin;
    private final int maxKeys;
    private final Map<String, StoredKey> keys = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    private ApiKeys(DocumentStore table, String adminToken, int maxKeys) {
        this.table = table;
        this.adminHash = sha256(adminToken);
        this.admin = new Principal(ADMIN_TOKEN_ID, ADMIN_TOKEN_NAME, Role.ADMIN, ServiceScope.ALL);
        this.maxKeys = maxKeys;
    }

    /** Opens the key table in {@code dbFile} (creating it), with the bootstrap admin token. */
    public static ApiKeys open(Path dbFile, String adminToken, int maxKeys) {
        return open(DocumentTable.open(dbFile, "api_keys"), adminToken, maxKeys);
    }

    /**
     * Opens the keys kept in {@code table} (a cluster's are every node's: a key created or revoked
     * on one node is in or out on every node once the change is answered, docs/adr/0054).
     */
    public static ApiKeys open(DocumentStore table, String adminToken, int maxKeys) {
        var keys = new ApiKeys(table, adminToken, maxKeys);
        table.listen(keys::changed);
        return keys;
    }

    /** Keeps the keys checked against in step with the table, whoever changed it. */
    private void changed(String owner, String id, String body) {
        if (!OWNER.equals(owner)) {
            return;
        }
        if (body == null) {
            keys.remove(id);
        } else {
            keys.put(id, parse(id, body));
        }
    }

    /**
     * The principal {@code token} proves, if any. Timing depends on the token's length and on
     * whether its id part names a key, never on how much of a secret matched: the token is hashed
     * and the hash compared in constant time with both the admin token's and the key's (or a dummy)
     * hash, every time.
     */
    public Optional<Principal> authenticate(String token) {
        byte[] given = sha256(token);
        boolean isAdmin = MessageDigest.isEqual(given, adminHash);
        String id = idOf(token);
        StoredKey key = id == null ? null : keys.get(id);
        boolean isKey = MessageDigest.isEqual(given, key == null ? NO_KEY : key.hash());
        if (isAdmin) {
            return Optional.of(admin);
        }
        if (isKey && key != null) {
            return Optional.of(key.principal());
        }
        return Optional.empty();
    }

    /** Creates a key; the secret in the result exists nowhere else. */
    public synchronized Created create(KeyRequest request) {
        if (keys.size() >= maxKeys) {
            throw new KilnException(
                    ErrorCode.CONFLICT,
                    "this host holds its maximum of " + maxKeys + " keys; delete one first");
        }
        String id;
        do {
            byte[] idBytes = new byte[ID_HEX_DIGITS / 2];
            random.nextBytes(idBytes);
            id = HexFormat.of().formatHex(idBytes);
        } while (keys.containsKey(id));
        byte[] secretBytes = new byte[32];
        random.nextBytes(secretBytes);
        String secret =
                KEY_PREFIX
                        + id
                        + "_"
                        + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
        var key =
                new StoredKey(
                        id,
                        request.name(),
                        request.role(),
                        request.services(),
                        Instant.now(),
                        sha256(secret));
        table.put(OWNER, id, body(key)); // in the checked keys once this returns (changed())
        return new Created(key, secret);
    }

    /** Every key, oldest first, the bootstrap admin token first of all. */
    public List<StoredKey> list() {
        List<StoredKey> out = new ArrayList<>(keys.values());
        out.sort(Comparator.comparing(StoredKey::createdAt).thenComparing(StoredKey::id));
        out.addFirst(
                new StoredKey(
                        ADMIN_TOKEN_ID,
                        ADMIN_TOKEN_NAME,
                        Role.ADMIN,
                        ServiceScope.ALL,
                        null,
                        adminHash));
        return out;
    }

    /**
     * Revokes a key: once this returns, no request presenting it is let in. The bootstrap admin
     * token is the one admin key that always remains (so the host cannot lock its administrators
     * out): deleting it is a conflict.
     */
    public synchronized void delete(String id) {
        if (ADMIN_TOKEN_ID.equals(id)) {
            throw new KilnException(
                    ErrorCode.CONFLICT,
                    "the bootstrap admin token is the last admin key that always remains; it comes"
                            + " from configuration (KILN_ADMIN_TOKEN or the admin-token file):"
                            + " change it there and restart to rotate it");
        }
        if (!keys.containsKey(id)) {
            throw new KilnException(ErrorCode.NOT_FOUND, "no key " + id);
        }
        // Durable first, so a failed delete changes nothing; every check reads memory, so the key
        // is refused from the moment it leaves the map, before this call returns.
        table.delete(OWNER, id);
        keys.remove(id);
    }

    /** The id part of a key-shaped token, or null. */
    static String idOf(String token) {
        if (token == null
                || token.length() <= KEY_PREFIX.length() + ID_HEX_DIGITS + 1
                || !token.startsWith(KEY_PREFIX)
                || token.charAt(KEY_PREFIX.length() + ID_HEX_DIGITS) != '_') {
            return null;
        }
        String id = token.substring(KEY_PREFIX.length(), KEY_PREFIX.length() + ID_HEX_DIGITS);
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return null;
            }
        }
        return id;
    }

    private static String body(StoredKey k) {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", k.name());
        o.put("role", k.role().wire());
        var services = o.putArray("services");
        k.services().texts().forEach(services::add);
        o.put("createdAt", k.createdAt().toString());
        o.put("sha256", HexFormat.of().formatHex(k.hash()));
        return o.toString();
    }

    private static StoredKey parse(String id, String body) {
        try {
            JsonNode o = JSON.readTree(body);
            List<ServicePattern> patterns = new ArrayList<>();
            o.get("services").forEach(p -> patterns.add(new ServicePattern(p.asText())));
            return new StoredKey(
                    id,
                    o.get("name").asText(),
                    Role.parse(o.get("role").asText()),
                    new ServiceScope(patterns),
                    Instant.parse(o.get("createdAt").asText()),
                    HexFormat.of().parseHex(o.get("sha256").asText()));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("stored key " + id + " is not readable", e);
        }
    }

    static byte[] sha256(String text) {
        // Every authenticated request hashes its key: one digest per thread, not a provider
        // lookup and a new digest each time. digest() resets it for the next use.
        return SHA_256.get().digest(text.getBytes(StandardCharsets.UTF_8));
    }

    private static final ThreadLocal<MessageDigest> SHA_256 =
            ThreadLocal.withInitial(
                    () -> {
                        try {
                            return MessageDigest.getInstance("SHA-256");
                        } catch (NoSuchAlgorithmException e) {
                            throw new IllegalStateException("every JDK provides SHA-256", e);
                        }
                    });

    @Override
    public void close() {
        table.close();
    }
}
