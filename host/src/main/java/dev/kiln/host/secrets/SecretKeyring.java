package dev.kiln.host.secrets;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AES-256 keys that encrypt secrets at rest, in {@code <data>/secrets.key} (mode 0600): one key
 * per line, {@code <id> <base64>}, the last line the active key that seals new values. Older keys
 * stay readable, so a rotation can add a key, re-seal everything with it and only then drop the old
 * ones, and a crash in between loses nothing (docs/adr/0034).
 *
 * <p>Sealing is AES-GCM (JDK {@code javax.crypto}) with a fresh random 96-bit nonce per value and a
 * 128-bit tag; the caller's associated data binds a value to where it belongs, so a stored value
 * moved to another function or name no longer opens.
 */
public final class SecretKeyring {
    public static final String FILE_NAME = "secrets.key";
    private static final Logger log = LoggerFactory.getLogger(SecretKeyring.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int KEY_BYTES = 32;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final String HEADER =
            "# Kiln secrets keyring (docs/adr/0034): AES-256 keys, '<id> <base64>', the last line"
                + " is the active key.\n"
                + "# Back it up together with secrets.db: without it the secrets cannot be read."
                + " Keep it mode 0600.\n";

    /** One key and the id stored next to every value it sealed. */
    record Key(String id, SecretKey key) {}

    /** A sealed value: which key, the nonce, and the ciphertext with its tag. */
    public record Sealed(String keyId, byte[] nonce, byte[] ciphertext) {}

    private final Path file;
    private final List<Key> keys;

    private SecretKeyring(Path file, List<Key> keys) {
        this.file = file;
        this.keys = List.copyOf(keys);
    }

    /** Whether {@code dataDir} has a keyring file. */
    public static boolean exists(Path dataDir) {
        return Files.exists(dataDir.resolve(FILE_NAME));
    }

    /** Loads the keyring of {@code dataDir}, creating one with a fresh key if there is none. */
    public static SecretKeyring loadOrCreate(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            SecretKeyring created = new SecretKeyring(file, List.of(newKey()));
            created.write();
            log.info("created the secrets key {} (back it up with secrets.db)", file);
            return created;
        }
        return load(file);
    }

    /**
     * Loads the keyring every node of a cluster is given (docs/adr/0054): a file the operator made
     * and copied to each node, never created here (a key made by one node would not open what the
     * others sealed).
     */
    public static SecretKeyring loadShared(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(
                    "the secrets key file "
                            + file
                            + " does not exist: give every node of the cluster the same one"
                            + " (docs/CLUSTER.md, \"Secrets key\")");
        }
        return load(file);
    }

    static SecretKeyring load(Path file) throws IOException {
        warnIfReadableByOthers(file);
        List<Key> keys = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] parts = t.split("\\s+", -1);
            byte[] raw;
            try {
                raw = parts.length == 2 ? Base64.getDecoder().decode(parts[1]) : null;
            } catch (IllegalArgumentException e) {
                raw = null;
            }
            if (raw == null
                    || raw.length != KEY_BYTES
                    || !parts[0].matches("[A-Za-z0-9_-]{1,64}")) {
                // The line itself is never echoed: it holds key material.
                throw new IllegalStateException(
                        file + " line " + lineNo + " is not '<id> <base64 of 32 bytes>'");
            }
            keys.add(new Key(parts[0], new SecretKeySpec(raw, "AES")));
        }
        if (keys.isEmpty()) {
            throw new IllegalStateException(file + " holds no key");
        }
        return new SecretKeyring(file, keys);
    }

    /** The id of the key new values are sealed with. */
    public String activeId() {
        return keys.getLast().id();
    }

    /** Ids of every key, oldest first. */
    public List<String> ids() {
        return keys.stream().map(Key::id).toList();
    }

    /** Seals {@code plaintext} with the active key, bound to {@code aad}. */
    public Sealed seal(byte[] plaintext, byte[] aad) {
        Key key = keys.getLast();
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key.key(), new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(aad);
            return new Sealed(key.id(), nonce, c.doFinal(plaintext));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /**
     * Opens a sealed value.
     *
     * @throws IllegalStateException when its key is not in the keyring or it does not authenticate
     *     (tampered with, moved, or sealed under another key of the same id)
     */
    public byte[] open(Sealed sealed, byte[] aad) {
        Key key = null;
        for (Key k : keys) {
            if (k.id().equals(sealed.keyId())) {
                key = k;
            }
        }
        if (key == null) {
            throw new IllegalStateException(
                    "a secret is sealed with key '"
                            + sealed.keyId()
                            + "', which is not in "
                            + FILE_NAME);
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key.key(), new GCMParameterSpec(TAG_BITS, sealed.nonce()));
            c.updateAAD(aad);
            return c.doFinal(sealed.ciphertext());
        } catch (AEADBadTagException e) {
            throw new IllegalStateException(
                    "a stored secret does not authenticate under key '" + sealed.keyId() + "'");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /** A keyring with a new active key added (written to the file before it is returned). */
    SecretKeyring withNewKey() throws IOException {
        List<Key> more = new ArrayList<>(keys);
        more.add(newKey());
        SecretKeyring next = new SecretKeyring(file, more);
        next.write();
        return next;
    }

    /** A keyring with only the active key (written to the file before it is returned). */
    SecretKeyring activeOnly() throws IOException {
        SecretKeyring next = new SecretKeyring(file, List.of(keys.getLast()));
        next.write();
        return next;
    }

    private static Key newKey() {
        byte[] raw = new byte[KEY_BYTES];
        RANDOM.nextBytes(raw);
        byte[] id = new byte[4];
        RANDOM.nextBytes(id);
        return new Key("k" + HexFormat.of().formatHex(id), new SecretKeySpec(raw, "AES"));
    }

    /** Writes the keyring atomically: a 0600 temp file, fsync, rename over the old one. */
    private void write() throws IOException {
        StringBuilder text = new StringBuilder(HEADER);
        for (Key k : keys) {
            text.append(k.id())
                    .append(' ')
                    .append(Base64.getEncoder().encodeToString(k.key().getEncoded()))
                    .append('\n');
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve(FILE_NAME + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(
                    tmp,
                    PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp); // not a POSIX file system
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void warnIfReadableByOthers(Path file) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            if (p.contains(PosixFilePermission.GROUP_READ)
                    || p.contains(PosixFilePermission.OTHERS_READ)) {
                log.warn("{} is readable by other users; make it mode 0600", file);
            }
        } catch (UnsupportedOperationException | IOException e) {
            // Not a POSIX file system: nothing to check.
        }
    }
}
