package dev.kiln.host.sandbox;

import dev.kiln.host.fuel.Leb128;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What Chicory's compiled classes depend on in a module: every section but the data segments'
 * contents. Chicory copies data segments into memory at instantiation and never reads them in the
 * code it generates, so modules that differ only in their data (a language runtime with each
 * function's source embedded as data: docs/adr/0052) can share one compilation.
 */
final class CodeKey {
    private static final int DATA_SECTION = 11;

    private CodeKey() {}

    /**
     * The key of {@code wasm}'s code, or null when its sections cannot be walked (the module then
     * compiles on its own, as before).
     */
    static String of(byte[] wasm) {
        MessageDigest sha = sha256();
        int[] pos = {8};
        sha.update(wasm, 0, Math.min(8, wasm.length));
        try {
            while (pos[0] < wasm.length) {
                int id = wasm[pos[0]++] & 0xff;
                long size = Leb128.readUnsigned(wasm, pos);
                if (size < 0 || size > wasm.length - pos[0]) {
                    return null;
                }
                int start = pos[0];
                // Fixed-width fields, so no two different modules hash the same bytes.
                sha.update((byte) id);
                if (id == DATA_SECTION) {
                    // The segment count still matters: memory.init and data.drop name segments.
                    sha.update(longBytes(Leb128.readUnsigned(wasm, pos)));
                } else {
                    sha.update(longBytes(size));
                    sha.update(wasm, start, (int) size);
                }
                pos[0] = start + (int) size;
            }
        } catch (IllegalArgumentException e) {
            return null; // a truncated or overlong size
        }
        return "kiln-code:" + HexFormat.of().formatHex(sha.digest());
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(Long.BYTES).putLong(v).array();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
