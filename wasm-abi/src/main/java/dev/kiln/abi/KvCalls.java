package dev.kiln.abi;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The {@code kv_*} host calls over a {@link KvBucket} (wasm-abi/ABI.md section 4.12): pointer rule
 * first (a bad range is an ABI violation), then the key and value checks, then the bucket. Every
 * key and value byte read from the guest, and every byte produced for it, is charged as host work.
 */
final class KvCalls {
    /** {@code expected_len} of {@code kv_compare_and_swap} meaning "the key must not exist". */
    static final long ABSENT = 0xFFFF_FFFFL;

    private KvCalls() {}

    static long call(HostCall call, HostWork w, GuestMemory memory, long[] args, KvBucket kv) {
        try {
            return switch (call) {
                case KV_GET -> get(w, memory, args, kv);
                case KV_SET -> set(w, memory, args, kv);
                case KV_DELETE -> {
                    byte[] key = key(w, memory, args[0], args[1]);
                    yield kv.delete(key) ? AbiV1.OK : AbiV1.ERR_NOT_FOUND;
                }
                case KV_LIST -> list(w, memory, args, kv);
                case KV_INCREMENT -> increment(w, memory, args, kv);
                case KV_COMPARE_AND_SWAP -> compareAndSwap(w, memory, args, kv);
                default -> throw new IllegalArgumentException("not a key-value call: " + call);
            };
        } catch (KvException e) {
            return e.kind().code();
        }
    }

    private static long get(HostWork w, GuestMemory memory, long[] args, KvBucket kv) {
        byte[] key = key(w, memory, args[0], args[1]);
        Optional<byte[]> value = kv.get(key);
        return value.isEmpty()
                ? AbiV1.ERR_NOT_FOUND
                : HostCalls.copyOut(w, memory, value.get(), args[2], args[3]);
    }

    private static long set(HostWork w, GuestMemory memory, long[] args, KvBucket kv) {
        memory.checkRange(args[2], args[3], "kv_set value");
        long ttl = args[4];
        long valueLen = args[3] & 0xFFFF_FFFFL;
        byte[] key = key(w, memory, args[0], args[1]);
        if (valueLen > KvBucket.MAX_VALUE_BYTES) {
            throw limit("value over " + KvBucket.MAX_VALUE_BYTES + " bytes");
        }
        if (ttl < 0) {
            return AbiV1.ERR_INVALID;
        }
        w.bytes(valueLen);
        kv.set(key, memory.read((int) args[2], (int) valueLen), ttl);
        return AbiV1.OK;
    }

    private static long list(HostWork w, GuestMemory memory, long[] args, KvBucket kv) {
        memory.checkRange(args[0], args[1], "kv_list prefix");
        memory.checkRange(args[2], args[3], "kv_list after");
        long prefixLen = args[1] & 0xFFFF_FFFFL;
        long afterLen = args[3] & 0xFFFF_FFFFL;
        if (prefixLen > KvBucket.MAX_KEY_BYTES || afterLen > KvBucket.MAX_KEY_BYTES) {
            return AbiV1.ERR_LIMIT;
        }
        w.bytes(prefixLen + afterLen);
        byte[] prefix = memory.read((int) args[0], (int) prefixLen);
        byte[] after = memory.read((int) args[2], (int) afterLen);
        return HostCalls.copyOut(
                w,
                memory,
                encode(kv.list(prefix, after, KvBucket.LIST_PAGE_KEYS)),
                args[4],
                args[5]);
    }

    /**
     * A page of keys as {@code kv_list} returns it: each key as u16 little-endian length, bytes.
     */
    static byte[] encode(List<byte[]> keys) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] k : keys) {
            out.write(k.length & 0xFF);
            out.write(k.length >>> 8);
            out.write(k, 0, k.length);
        }
        return out.toByteArray();
    }

    private static long increment(HostWork w, GuestMemory memory, long[] args, KvBucket kv) {
        memory.checkRange(args[3], 8, "kv_increment result");
        byte[] key = key(w, memory, args[0], args[1]);
        long sum = kv.increment(key, args[2]);
        w.bytes(8);
        byte[] out = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(sum).array();
        memory.write((int) args[3], out, 0, 8);
        return AbiV1.OK;
    }

    private static long compareAndSwap(HostWork w, GuestMemory memory, long[] args, KvBucket kv) {
        long expectedLen = args[3] & 0xFFFF_FFFFL;
        boolean absent = expectedLen == ABSENT;
        if (!absent) {
            memory.checkRange(args[2], args[3], "kv_compare_and_swap expected");
        }
        memory.checkRange(args[4], args[5], "kv_compare_and_swap value");
        long valueLen = args[5] & 0xFFFF_FFFFL;
        byte[] key = key(w, memory, args[0], args[1]);
        if (valueLen > KvBucket.MAX_VALUE_BYTES
                || (!absent && expectedLen > KvBucket.MAX_VALUE_BYTES)) {
            throw limit("value over " + KvBucket.MAX_VALUE_BYTES + " bytes");
        }
        w.bytes(valueLen + (absent ? 0 : expectedLen));
        byte[] expected = absent ? null : memory.read((int) args[2], (int) expectedLen);
        byte[] value = memory.read((int) args[4], (int) valueLen);
        return kv.compareAndSwap(key, expected, value) ? AbiV1.OK : AbiV1.ERR_CONFLICT;
    }

    /**
     * Reads and checks a key: inside memory (else an ABI violation), 1 to {@link
     * KvBucket#MAX_KEY_BYTES} bytes (else limit), UTF-8 text without control characters (else
     * invalid).
     */
    private static byte[] key(HostWork w, GuestMemory memory, long ptr, long len) {
        memory.checkRange(ptr, len, "kv key");
        long l = len & 0xFFFF_FFFFL;
        if (l > KvBucket.MAX_KEY_BYTES) {
            throw limit("key over " + KvBucket.MAX_KEY_BYTES + " bytes");
        }
        w.bytes(l);
        byte[] key = memory.read((int) ptr, (int) l);
        if (!validKey(key)) {
            throw new KvException(KvException.Kind.INVALID, "bad key");
        }
        return key;
    }

    /** A key is 1 to 256 bytes of UTF-8 text without control characters. */
    public static boolean validKey(byte[] key) {
        if (key.length == 0 || key.length > KvBucket.MAX_KEY_BYTES) {
            return false;
        }
        for (byte b : key) {
            if ((b >= 0 && b < 0x20) || b == 0x7F) {
                return false;
            }
        }
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(key));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static KvException limit(String message) {
        return new KvException(KvException.Kind.LIMIT, message);
    }
}
