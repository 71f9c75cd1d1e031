package dev.kiln.abi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A guest memory over a plain byte array that remembers how many bytes each read asked for. */
final class RecordingMemory implements GuestMemory {
    private final byte[] bytes;
    private final List<Integer> readLengths = new ArrayList<>();
    private int next = 16; // keep address 0 free, as a real allocator would

    RecordingMemory(int size) {
        this.bytes = new byte[size];
    }

    @Override
    public long size() {
        return bytes.length;
    }

    @Override
    public byte[] read(int ptr, int len) {
        readLengths.add(len);
        return Arrays.copyOfRange(bytes, ptr, ptr + len);
    }

    @Override
    public void write(int ptr, byte[] src, int offset, int len) {
        System.arraycopy(src, offset, bytes, ptr, len);
    }

    List<Integer> readLengths() {
        return List.copyOf(readLengths);
    }

    /** Places UTF-8 {@code s} in memory; returns its pointer. Its length is {@link #len}. */
    long put(String s) {
        return put(s.getBytes(StandardCharsets.UTF_8));
    }

    long put(byte[] data) {
        long ptr = next;
        System.arraycopy(data, 0, bytes, next, data.length);
        next += data.length;
        return ptr;
    }

    static long len(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** Reserves {@code n} bytes filled with {@code fill}; returns the pointer. */
    long alloc(int n, byte fill) {
        long ptr = next;
        Arrays.fill(bytes, next, next + n, fill);
        next += n;
        return ptr;
    }

    byte[] bytesAt(long ptr, int len) {
        return Arrays.copyOfRange(bytes, (int) ptr, (int) ptr + len);
    }

    String stringAt(long ptr, int len) {
        return new String(bytes, (int) ptr, len, StandardCharsets.UTF_8);
    }
}
