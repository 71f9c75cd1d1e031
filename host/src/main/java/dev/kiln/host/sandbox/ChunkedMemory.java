package dev.kiln.host.sandbox;

import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.Arrays;

/**
 * A guest's linear memory kept in 4 KiB chunks, the default {@link ResettableMemory}: writes record
 * which chunks they touched, and a reset only deals with those (docs/adr/0008-instance-reset.md).
 *
 * <p>Chunks start out shared with the image (or with one all-zero chunk) and are copied the first
 * time they are written, like a copy-on-write mapping of a heap image. How a reset treats the
 * chunks an invocation wrote is the {@link ResetStrategy}. Not thread-safe: an instance runs one
 * invocation at a time.
 */
final class ChunkedMemory extends ChunkedMemoryAccess {
    /** The all-zero chunk every untouched zero chunk reads from. Never written. */
    static final byte[] ZERO = new byte[CHUNK_SIZE];

    /** Private chunks kept for reuse after a copy-on-write reset, so resets allocate nothing. */
    private static final int MAX_SPARE_CHUNKS = 256;

    private final ResetStrategy strategy;

    /** Chunk i if this invocation may write it directly (it is private and marked), else null. */
    private byte[][] writable;

    /** Indices of the chunks marked writable since the last reset. */
    private int[] dirty = new int[16];

    private int dirtyCount;
    private byte[][] spare = new byte[8][];
    private int spareCount;

    /**
     * Chunk arrays this memory holds privately (copied chunks plus spares), kept in step with every
     * copy and drop so that {@link #privateBytes} is O(1): the pool asks it on every release.
     */
    private long privateChunks;

    ChunkedMemory(MemoryLimits limits, ResetStrategy strategy) {
        super(limits);
        this.strategy = strategy;
        this.pages = limits.initialPages();
        this.chunks = new byte[pages * CHUNKS_PER_PAGE][];
        Arrays.fill(chunks, ZERO);
        this.writable = new byte[chunks.length][];
    }

    /** Makes this memory's content {@code image}'s, without copying (chunks are shared). */
    @Override
    void attach(MemoryImage image) {
        this.image = image;
        for (int k = 0; k < dirtyCount; k++) {
            keepSpare(writable[dirty[k]]);
        }
        dirtyCount = 0;
        pages = image.pages();
        chunks = new byte[image.chunkCount()][];
        writable = new byte[chunks.length][];
        for (int i = 0; i < chunks.length; i++) {
            chunks[i] = image.chunk(i);
        }
        if (strategy == ResetStrategy.COPY_ALL) {
            for (int i = 0; i < chunks.length; i++) {
                byte[] c = chunks[i].clone();
                chunks[i] = c;
                writable[i] = c;
            }
        }
        // Chunks copied before (init's writes) are gone but for the spares kept above.
        privateChunks =
                (long) spareCount + (strategy == ResetStrategy.COPY_ALL ? chunks.length : 0);
        image.restoreSegments(segments);
    }

    @Override
    void restoreContent(MemoryImage img) {
        int imageChunks = img.chunkCount();
        if (strategy == ResetStrategy.COPY_ALL) {
            if (pages != img.pages()) {
                attach(img);
            } else {
                for (int i = 0; i < imageChunks; i++) {
                    System.arraycopy(img.chunk(i), 0, chunks[i], 0, CHUNK_SIZE);
                }
            }
            return;
        }
        for (int k = 0; k < dirtyCount; k++) {
            int i = dirty[k];
            byte[] c = writable[i];
            writable[i] = null;
            if (i >= imageChunks) {
                keepSpare(c); // grown past the image: dropped below
            } else if (strategy == ResetStrategy.COPY_DIRTY) {
                System.arraycopy(img.chunk(i), 0, c, 0, CHUNK_SIZE);
            } else {
                chunks[i] = img.chunk(i);
                keepSpare(c);
            }
        }
        dirtyCount = 0;
        if (pages != img.pages()) { // Wasm memory only grows; a reset may take it back
            chunks = Arrays.copyOf(chunks, imageChunks);
            writable = Arrays.copyOf(writable, imageChunks);
        }
    }

    /**
     * Bytes this memory holds privately (not shared with its image): chunks it copied, and spare
     * chunks kept for reuse.
     */
    @Override
    long privateBytes() {
        return privateChunks * CHUNK_SIZE;
    }

    /** Heap bytes of the two chunk-reference tables (read and writable), one entry per chunk. */
    @Override
    long bookkeepingBytes() {
        return 2L * chunks.length * Long.BYTES;
    }

    /** {@link #privateBytes} computed by walking every chunk; for tests of the running count. */
    // Copy-on-write chunks are compared by identity: the question is sharing, not content.
    @SuppressWarnings("ReferenceEquality")
    long privateBytesByScan() {
        long n = (long) spareCount * CHUNK_SIZE;
        MemoryImage img = image;
        for (int i = 0; i < chunks.length; i++) {
            byte[] c = chunks[i];
            if (c != ZERO && (img == null || i >= img.chunkCount() || c != img.chunk(i))) {
                n += CHUNK_SIZE;
            }
        }
        return n;
    }

    /**
     * Makes this memory's current content its image without copying it: the chunks it wrote become
     * the image's, and the memory is attached to that image (a later write copies first). Taking
     * the first instance's snapshot this way holds its memory once instead of twice: a {@code
     * kiln_init} that fills 1 GiB needs 1 GiB of heap, not 2.
     */
    @Override
    MemoryImage captureInPlace(boolean tracksSegments) {
        // Nothing may write the handed-over arrays in place again, nor keep them as spares.
        Arrays.fill(writable, null);
        dirtyCount = 0;
        MemoryImage img = MemoryImage.capture(this, tracksSegments, false);
        attach(img);
        return img;
    }

    /** The chunks as reads see them; for {@link MemoryImage#capture}. */
    @Override
    byte[] chunkForCapture(int i) {
        return chunks[i];
    }

    @Override
    int chunkCount() {
        return chunks.length;
    }

    /** Takes a private chunk that is leaving the chunk table: kept as a spare, or dropped. */
    private void keepSpare(byte[] c) {
        if (spareCount < MAX_SPARE_CHUNKS) {
            if (spareCount == spare.length) {
                spare = Arrays.copyOf(spare, spare.length * 2);
            }
            spare[spareCount++] = c;
        } else {
            privateChunks--;
        }
    }

    /** Makes chunk {@code i} private and writable, recording it as dirty. */
    // Copy-on-write chunks are compared by identity: the question is sharing, not content.
    @SuppressWarnings("ReferenceEquality")
    private byte[] own(int i, int addr, int size) {
        if (i < 0 || i >= chunks.length) {
            throw outOfBounds(addr, size);
        }
        byte[] current = chunks[i];
        byte[] c;
        if (isShared(current, i)) {
            if (spareCount > 0) {
                c = spare[--spareCount];
                spare[spareCount] = null;
                System.arraycopy(current, 0, c, 0, CHUNK_SIZE);
            } else {
                c = current == ZERO ? new byte[CHUNK_SIZE] : current.clone();
                privateChunks++;
            }
            chunks[i] = c;
        } else {
            c = current;
        }
        writable[i] = c;
        if (dirtyCount == dirty.length) {
            dirty = Arrays.copyOf(dirty, dirty.length * 2);
        }
        dirty[dirtyCount++] = i;
        return c;
    }

    // Copy-on-write chunks are compared by identity: the question is sharing, not content.
    @SuppressWarnings("ReferenceEquality")
    private boolean isShared(byte[] chunk, int i) {
        MemoryImage img = image;
        return chunk == ZERO || (img != null && i < img.chunkCount() && chunk == img.chunk(i));
    }

    @Override
    byte[] writableChunk(int addr, int size) {
        int i = addr >>> CHUNK_SHIFT;
        byte[] c;
        try {
            c = writable[i];
        } catch (ArrayIndexOutOfBoundsException e) {
            throw outOfBounds(addr, size);
        }
        return c != null ? c : own(i, addr, size);
    }

    // --- size -------------------------------------------------------------------------------

    @Override
    void growTo(int newPages) {
        int newChunks = newPages * CHUNKS_PER_PAGE;
        int old = chunks.length;
        chunks = Arrays.copyOf(chunks, newChunks);
        writable = Arrays.copyOf(writable, newChunks);
        Arrays.fill(chunks, old, newChunks, ZERO);
    }

    // --- bulk -------------------------------------------------------------------------------

    @Override
    public void write(int addr, byte[] data, int offset, int size) {
        checkWrite(addr, data, offset, size);
        while (size > 0) {
            int inChunk = addr & CHUNK_MASK;
            int n = Math.min(size, CHUNK_SIZE - inChunk);
            System.arraycopy(data, offset, writableChunk(addr, n), inChunk, n);
            addr += n;
            offset += n;
            size -= n;
        }
    }

    @Override
    public byte[] readBytes(int addr, int len) {
        checkRange(addr, len);
        byte[] out = new byte[len];
        int at = 0;
        while (at < len) {
            int inChunk = addr & CHUNK_MASK;
            int n = Math.min(len - at, CHUNK_SIZE - inChunk);
            System.arraycopy(chunks[addr >>> CHUNK_SHIFT], inChunk, out, at, n);
            addr += n;
            at += n;
        }
        return out;
    }

    @Override
    // Copy-on-write chunks are compared by identity: the question is sharing, not content.
    @SuppressWarnings("ReferenceEquality")
    public void zero() {
        for (int i = 0; i < chunks.length; i++) {
            byte[] c = writable[i];
            if (c != null) {
                Arrays.fill(c, (byte) 0);
            } else if (chunks[i] != ZERO) {
                Arrays.fill(own(i, i << CHUNK_SHIFT, CHUNK_SIZE), (byte) 0);
            }
        }
    }

    @Override
    public void fill(byte value, int fromIndex, int toIndex) {
        int addr = fromIndex;
        int size = toIndex - fromIndex;
        checkRange(addr, size);
        while (size > 0) {
            int inChunk = addr & CHUNK_MASK;
            int n = Math.min(size, CHUNK_SIZE - inChunk);
            Arrays.fill(writableChunk(addr, n), inChunk, inChunk + n, value);
            addr += n;
            size -= n;
        }
    }

    @Override
    public void copy(int dest, int src, int size) {
        checkRange(dest, size);
        checkRange(src, size);
        if (dest > src && dest < src + size) { // overlapping, dest after src: copy backwards
            while (size > 0) {
                int d = dest + size;
                int s = src + size;
                int dIn = ((d - 1) & CHUNK_MASK) + 1;
                int sIn = ((s - 1) & CHUNK_MASK) + 1;
                int n = Math.min(size, Math.min(dIn, sIn));
                byte[] to = writableChunk(d - n, n);
                System.arraycopy(
                        chunks[(s - n) >>> CHUNK_SHIFT], (s - n) & CHUNK_MASK, to, dIn - n, n);
                size -= n;
            }
        } else {
            while (size > 0) {
                int dIn = dest & CHUNK_MASK;
                int sIn = src & CHUNK_MASK;
                int n = Math.min(size, CHUNK_SIZE - Math.max(dIn, sIn));
                byte[] to = writableChunk(dest, n);
                System.arraycopy(chunks[src >>> CHUNK_SHIFT], sIn, to, dIn, n);
                dest += n;
                src += n;
                size -= n;
            }
        }
    }
}
