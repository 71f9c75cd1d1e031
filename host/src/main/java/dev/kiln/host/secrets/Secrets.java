package dev.kiln.host.secrets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.storage.DocumentStore;
import dev.kiln.host.storage.DocumentTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Functions' secrets: set with {@code PATCH {"secrets":{...}}}, never returned by the API (names
 * and when each was set only), read by the guest like config. At rest they are sealed with AES-GCM
 * under the {@link SecretKeyring} in {@code <data>/secrets.db}, one document per function; in
 * memory they are kept decrypted for the invocation path. Secrets belong to the function, not to a
 * version: changing one makes no version and applies from the next invocation (docs/adr/0034). A
 * cluster keeps the sealed documents in its documents bucket and every node opens them with one
 * keyring the operator gives every node (docs/adr/0054).
 */
public final class Secrets implements AutoCloseable {
    public static final String FILE_NAME = "secrets.db";
    public static final int MAX_SECRETS_PER_FUNCTION = 64;
    public static final int MAX_VALUE_BYTES = 8 * 1024;
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,127}");
    private static final Logger log = LoggerFactory.getLogger(Secrets.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A secret as the API shows it: its name and when it was last set. */
    public record SecretInfo(String name, Instant setAt) {}

    /** One function's secrets in memory: values (immutable, replaced on change) and set times. */
    private record Entry(Map<String, String> values, Map<String, Instant> setAt) {}

    private final DocumentStore table;
    private volatile SecretKeyring keyring;
    private final Map<FunctionName, Entry> entries = new ConcurrentHashMap<>();

    private Secrets(DocumentStore table, SecretKeyring keyring) {
        this.table = table;
        this.keyring = keyring;
    }

    /**
     * Opens the secrets of {@code dataDir}, creating the key file on first use. Every stored value
     * is opened now, so a missing or wrong key stops the host at start rather than at an
     * invocation.
     */
    public static Secrets open(Path dataDir) throws IOException {
        DocumentTable table = DocumentTable.open(dataDir.resolve(FILE_NAME), "secrets");
        try {
            if (!SecretKeyring.exists(dataDir) && !table.all().isEmpty()) {
                throw new IllegalStateException(
                        FILE_NAME
                                + " holds secrets but "
                                + SecretKeyring.FILE_NAME
                                + " is missing from "
                                + dataDir
                                + ": restore it from the backup taken with "
                                + FILE_NAME);
            }
            return open(table, SecretKeyring.loadOrCreate(dataDir));
        } catch (IOException | RuntimeException e) {
            table.close();
            throw e;
        }
    }

    /**
     * Opens the secrets {@code table} holds with {@code keyring} (a cluster's: the documents bucket
     * and the keyring every node is given). Every stored value is opened now, as above.
     */
    public static Secrets open(DocumentStore table, SecretKeyring keyring) {
        Secrets secrets = new Secrets(table, keyring);
        table.listen(secrets::changed);
        return secrets;
    }

    /**
     * Keeps the opened values in step with the table, whoever changed it. One that does not open
     * stops the start (thrown from the replay of {@code listen}); arriving later, it is logged.
     */
    private void changed(String service, String function, String body) {
        if (body == null) {
            entries.remove(key(service, function));
        } else {
            entries.put(key(service, function), decode(service, function, body));
        }
    }

    /** The decrypted secrets of a function; the same map object until they change. */
    public Map<String, String> values(String service, String function) {
        Entry e = entries.get(key(service, function));
        return e == null ? Map.of() : e.values();
    }

    /** Names and set times, sorted by name. */
    public List<SecretInfo> list(String service, String function) {
        Entry e = entries.get(key(service, function));
        if (e == null) {
            return List.of();
        }
        List<SecretInfo> out = new ArrayList<>();
        new TreeMap<>(e.setAt()).forEach((name, at) -> out.add(new SecretInfo(name, at)));
        return out;
    }

    /**
     * Reads the {@code secrets} member of a PATCH: an object whose values are strings (set) or null
     * (delete). Refusals name the secret, never its value.
     */
    public static Map<String, String> changesFromJson(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw bad("'secrets' must be an object of strings (null deletes one)");
        }
        Map<String, String> changes = new LinkedHashMap<>();
        for (var e : node.properties()) {
            JsonNode v = e.getValue();
            if (!v.isTextual() && !v.isNull()) {
                throw bad(
                        "the value of secret '"
                                + printable(e.getKey())
                                + "' must be a string, or null to delete it");
            }
            changes.put(e.getKey(), v.isNull() ? null : v.asText());
        }
        return changes;
    }

    /**
     * Checks {@code changes} against the function's current secrets without storing anything:
     * names, value sizes and the count after the change.
     */
    public void check(String service, String function, Map<String, String> changes) {
        merged(values(service, function), changes);
    }

    /** Applies {@code changes} (a null value deletes that secret) durably, in one write. */
    public synchronized void apply(String service, String function, Map<String, String> changes) {
        if (changes.isEmpty()) {
            return;
        }
        FunctionName k = key(service, function);
        Entry current = entries.getOrDefault(k, new Entry(Map.of(), Map.of()));
        Map<String, String> values = merged(current.values(), changes);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Map<String, Instant> setAt = new LinkedHashMap<>();
        for (String name : values.keySet()) {
            setAt.put(
                    name,
                    changes.containsKey(name) ? now : current.setAt().getOrDefault(name, now));
        }
        // read by the next invocation once this returns (changed())
        if (values.isEmpty()) {
            table.delete(service, function);
        } else {
            table.put(service, function, encode(service, function, values, setAt));
        }
        List<String> set = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        changes.forEach((name, v) -> (v == null ? deleted : set).add(name));
        // Names only: a secret's value never reaches a log.
        log.info("secrets of {}/{}: set {}, deleted {}", service, function, set, deleted);
    }

    /** Forgets the secrets of a deleted function. */
    public synchronized void deleteFunction(String service, String function) {
        if (entries.containsKey(key(service, function))) {
            table.delete(service, function);
        }
    }

    /**
     * Re-seals every stored secret with a new key, then drops the old keys (docs/adr/0034). Run it
     * with the host stopped (the caller holds the data directory's lock). A crash part-way leaves
     * both keys in the keyring, so every value stays readable and the rotation can simply be run
     * again.
     *
     * @return how many functions' secrets were re-sealed
     */
    public synchronized int rotateKey() throws IOException {
        keyring = keyring.withNewKey();
        int n = 0;
        for (DocumentStore.Document d : table.all()) {
            Entry e = entries.get(key(d.owner(), d.id()));
            table.put(d.owner(), d.id(), encode(d.owner(), d.id(), e.values(), e.setAt()));
            n++;
        }
        keyring = keyring.activeOnly();
        return n;
    }

    /** The id of the key new values are sealed with. */
    public String activeKeyId() {
        return keyring.activeId();
    }

    private static Map<String, String> merged(
            Map<String, String> current, Map<String, String> changes) {
        Map<String, String> out = new TreeMap<>(current);
        for (var e : changes.entrySet()) {
            String name = e.getKey();
            if (!NAME.matcher(name).matches()) {
                throw bad("secret name '" + printable(name) + "' must match " + NAME.pattern());
            }
            if (e.getValue() == null) {
                out.remove(name);
                continue;
            }
            if (e.getValue().getBytes(StandardCharsets.UTF_8).length > MAX_VALUE_BYTES) {
                throw bad(
                        "the value of secret '"
                                + name
                                + "' is longer than "
                                + MAX_VALUE_BYTES
                                + " bytes");
            }
            out.put(name, e.getValue());
        }
        if (out.size() > MAX_SECRETS_PER_FUNCTION) {
            throw bad(
                    "a function may have at most "
                            + MAX_SECRETS_PER_FUNCTION
                            + " secrets; this change would leave "
                            + out.size());
        }
        return out;
    }

    /** {@code {"NAME": {"key": id, "nonce": b64, "value": b64, "setAt": iso}}}. */
    private String encode(
            String service,
            String function,
            Map<String, String> values,
            Map<String, Instant> setAt) {
        ObjectNode doc = JSON.createObjectNode();
        SecretKeyring ring = keyring;
        for (var e : values.entrySet()) {
            SecretKeyring.Sealed s =
                    ring.seal(
                            e.getValue().getBytes(StandardCharsets.UTF_8),
                            aad(service, function, e.getKey()));
            ObjectNode n = doc.putObject(e.getKey());
            n.put("key", s.keyId());
            n.put("nonce", Base64.getEncoder().encodeToString(s.nonce()));
            n.put("value", Base64.getEncoder().encodeToString(s.ciphertext()));
            n.put("setAt", setAt.get(e.getKey()).toString());
        }
        try {
            return JSON.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private Entry decode(String service, String function, String body) {
        try {
            JsonNode doc = JSON.readTree(body);
            Map<String, String> values = new TreeMap<>();
            Map<String, Instant> setAt = new TreeMap<>();
            for (var e : doc.properties()) {
                JsonNode n = e.getValue();
                var sealed =
                        new SecretKeyring.Sealed(
                                n.path("key").asText(),
                                Base64.getDecoder().decode(n.path("nonce").asText()),
                                Base64.getDecoder().decode(n.path("value").asText()));
                byte[] plain = keyring.open(sealed, aad(service, function, e.getKey()));
                values.put(e.getKey(), new String(plain, StandardCharsets.UTF_8));
                setAt.put(e.getKey(), Instant.parse(n.path("setAt").asText()));
            }
            return new Entry(Map.copyOf(values), Map.copyOf(setAt));
        } catch (JsonProcessingException
                | IllegalArgumentException
                | java.time.format.DateTimeParseException e) {
            throw new IllegalStateException(
                    "the stored secrets of " + key(service, function) + " are not readable");
        }
    }

    /**
     * Seals a copy of a secret value kept outside {@code secrets.db} (a recording's, docs/adr/0041)
     * with the active key, bound to {@code purpose}: {@code keyId.nonce.ciphertext}, base64url.
     */
    public String sealCopy(String purpose, String plaintext) {
        SecretKeyring.Sealed s =
                keyring.seal(plaintext.getBytes(StandardCharsets.UTF_8), copyAad(purpose));
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return s.keyId()
                + "."
                + b64.encodeToString(s.nonce())
                + "."
                + b64.encodeToString(s.ciphertext());
    }

    /**
     * Opens a value of {@link #sealCopy}; empty when it cannot be (its key was retired by a
     * finished rotation, or it was altered).
     */
    public java.util.Optional<String> openCopy(String purpose, String sealed) {
        int last = sealed.lastIndexOf('.');
        int mid = last < 0 ? -1 : sealed.lastIndexOf('.', last - 1);
        if (mid <= 0) {
            return java.util.Optional.empty();
        }
        try {
            Base64.Decoder b64 = Base64.getUrlDecoder();
            var s =
                    new SecretKeyring.Sealed(
                            sealed.substring(0, mid),
                            b64.decode(sealed.substring(mid + 1, last)),
                            b64.decode(sealed.substring(last + 1)));
            return java.util.Optional.of(
                    new String(keyring.open(s, copyAad(purpose)), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException | IllegalStateException e) {
            return java.util.Optional.empty();
        }
    }

    private static byte[] copyAad(String purpose) {
        return ("kiln-secret-copy\0" + purpose).getBytes(StandardCharsets.UTF_8);
    }

    /** Binds a sealed value to its function and name. */
    private static byte[] aad(String service, String function, String name) {
        return ("kiln-secret\0" + service + "\0" + function + "\0" + name)
                .getBytes(StandardCharsets.UTF_8);
    }

    private static FunctionName key(String service, String function) {
        return new FunctionName(service, function);
    }

    private static String printable(String s) {
        String t = s.replaceAll("[^\\x20-\\x7e]", "?");
        return t.length() > 64 ? t.substring(0, 64) + "..." : t;
    }

    private static KilnException bad(String message) {
        return new KilnException(ErrorCode.BAD_REQUEST, "secrets: " + message);
    }

    @Override
    public void close() {
        table.close();
    }
}
