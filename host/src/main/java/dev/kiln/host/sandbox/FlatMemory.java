package dev.kiln.host.sandbox;

import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A guest's linear memory in one array ({@link ResetStrategy#FLAT}, docs/adr/0064): a load is a
 * bounds check and an array access, a store also marks the 4 KiB chunk it starts in, and a reset
 * copies the marked chunks back from the image. The instance holds all of its memory privately,
 * where {@link ChunkedMemory} shares what it did not write.
 *
 * <p>The array keeps the largest size memory grew to, zero past the size in use (a reset zeroes
 * what was written there), so an instance that grows in every invocation copies its memory once,
 * not twice per invocation.
 */
final class FlatMemory extends ResettableMemory {
    /** Eight chunk marks at once: a reset skips clean stretches quickly. */
    private static final VarHandle MARKS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());

    /** Memory, at least {@link #limit} long; all zero past it. */
    private byte[] bytes;

    /**
     * Bytes in use, {@code pages * PAGE_SIZE}, kept rather than derived on every access: derived,
     * the JSON workload ran about 5 % slower (six JVMs each, 3.07–3.23 against 2.94–3.13 ms).
     */
    private int limit;

    /**
     * Per chunk of {@link #bytes}, non-zero if a store began in it since the last reset. A scalar
     * store is marked only where it starts: one that straddles into the next chunk is covered by
     * the reset restoring the chunk after each marked one too.
     */
    private byte[] marks;

    FlatMemory(MemoryLimits limits) {
        super(limits);
        this.pages = limits.initialPages();
        this.limit = pages * PAGE_SIZE;
        this.bytes = new byte[limit];
        this.marks = new byte[pages * CHUNKS_PER_PAGE];
    }

    /** Traps unless {@code size} bytes at {@code addr} (unsigned) are in use. */
    private void check(int addr, int size) {
        if (Integer.toUnsignedLong(addr) + size > limit) {
            throw outOfBounds(addr, size);
        }
    }

    private void markRange(int addr, int size) {
        if (size > 0) {
            Arrays.fill(
                    marks, addr >>> CHUNK_SHIFT, ((addr + size - 1) >>> CHUNK_SHIFT) + 1, (byte) 1);
        }
    }

    // --- the snapshot ---------------------------------------------------------------------

    @Override
    void attach(MemoryImage image) {
        this.image = image;
        pages = image.pages();
        limit = pages * PAGE_SIZE;
        bytes = new byte[limit];
        marks = new byte[pages * CHUNKS_PER_PAGE];
        image.copyTo(bytes);
        image.restoreSegments(segments);
    }

    @Override
    void restoreContent(MemoryImage img) {
        byte[] m = marks;
        int imageChunks = img.chunkCount();
        boolean previous = false; // the chunk before was marked: a store may straddle into this one
        for (int i = 0; i < m.length; i += Long.BYTES) {
            if (!previous && (long) MARKS.get(m, i) == 0) {
                continue;
            }
            for (int k = i; k < i + Long.BYTES; k++) {
                boolean marked = m[k] != 0;
                if (marked || previous) {
                    int at = k << CHUNK_SHIFT;
                    if (k < imageChunks) {
                        System.arraycopy(img.chunk(k), 0, bytes, at, CHUNK_SIZE);
                    } else {
                        Arrays.fill(bytes, at, at + CHUNK_SIZE, (byte) 0);
                    }
                    m[k] = 0;
                }
                previous = marked;
            }
        }
        limit = img.pages() * PAGE_SIZE;
    }

    @Override
    MemoryImage captureInPlace(boolean tracksSegments) {
        // The captured chunks are copies (chunkForCapture): the image and this array are apart.
        MemoryImage img = MemoryImage.capture(this, tracksSegments, false);
        image = img;
        Arrays.fill(marks, (byte) 0);
        return img;
    }

    @Override
    long privateBytes() {
        return bytes.length;
    }

    @Override
    long bookkeepingBytes() {
        return marks.length;
    }

    @Override
    byte[] chunkForCapture(int i) {
        return Arrays.copyOfRange(bytes, i << CHUNK_SHIFT, (i + 1) << CHUNK_SHIFT);
    }

    @Override
    int chunkCount() {
        return pages * CHUNKS_PER_PAGE;
    }

    // --- size -----------------------------------------------------------------------------

    @Override
    void growTo(int newPages) {
        int newBytes = newPages * PAGE_SIZE;
        if (bytes.length < newBytes) {
            bytes = Arrays.copyOf(bytes, newBytes);
            marks = Arrays.copyOf(marks, newPages * CHUNKS_PER_PAGE);
        }
        limit = newBytes;
    }

    // --- scalars --------------------------------------------------------------------------

    @Override
    public byte read(int addr) {
        check(addr, 1);
        return bytes[addr];
    }

    @Override
    public short readShort(int addr) {
        check(addr, 2);
        return (short) SHORT.get(bytes, addr);
    }

    @Override
    public int readInt(int addr) {
        check(addr, 4);
        return (int) INT.get(bytes, addr);
    }

    @Override
    public long readLong(int addr) {
        check(addr, 8);
        return (long) LONG.get(bytes, addr);
    }

    @Override
    public float readFloat(int addr) {
        check(addr, 4);
        return (float) FLOAT.get(bytes, addr);
    }

    @Override
    public double readDouble(int addr) {
        check(addr, 8);
        return (double) DOUBLE.get(bytes, addr);
    }

    @Override
    public void writeByte(int addr, byte data) {
        check(addr, 1);
        bytes[addr] = data;
        marks[addr >>> CHUNK_SHIFT] = 1;
    }

    @Override
    public void writeShort(int addr, short data) {
        check(addr, 2);
        SHORT.set(bytes, addr, data);
        marks[addr >>> CHUNK_SHIFT] = 1;
    }

    @Override
    public void writeI32(int addr, int data) {
        check(addr, 4);
        INT.set(bytes, addr, data);
        marks[addr >>> CHUNK_SHIFT] = 1;
    }

    @Override
    public void writeLong(int addr, long data) {
        check(addr, 8);
        LONG.set(bytes, addr, data);
        marks[addr >>> CHUNK_SHIFT] = 1;
    }

    @Override
    public void writeF32(int addr, float data) {
        check(addr, 4);
        FLOAT.set(bytes, addr, data);
        marks[addr >>> CHUNK_SHIFT] = 1;
    }

    @Override
    public void writeF64(int addr, double data) {
        check(addr, 8);
        DOUBLE.set(bytes, addr, data);
        marks[addr >>> CHUNK_SHIFT] = 1;
    }

    // --- bulk -----------------------------------------------------------------------------

    @Override
    public void write(int addr, byte[] data, int offset, int size) {
        checkWrite(addr, data, offset, size);
        System.arraycopy(data, offset, bytes, addr, size);
        markRange(addr, size);
    }

    @Override
    public byte[] readBytes(int addr, int len) {
        checkRange(addr, len);
        return Arrays.copyOfRange(bytes, addr, addr + len);
    }

    @Override
    public void zero() {
        Arrays.fill(bytes, 0, limit, (byte) 0);
        markRange(0, limit);
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        checkRange(fromIndex, toIndex - fromIndex);
        Arrays.fill(bytes, fromIndex, toIndex, value);
        markRange(fromIndex, toIndex - fromIndex);
    }

    @Override
    public void copy(int dest, int src, int size) {
        checkRange(dest, size);
        checkRange(src, size);
        System.arraycopy(bytes, src, bytes, dest, size); // overlapping ranges as memmove
        markRange(dest, size);
    }
}
