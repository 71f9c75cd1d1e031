package dev.kiln.host.sandbox;

import com.dylibso.chicory.wasm.types.DataSegment;
import java.util.Arrays;

/**
 * The content of a linear memory at snapshot time, immutable and shared by every instance of a
 * compiled module. All-zero chunks are not stored: they all read from {@link ChunkedMemory#ZERO},
 * so an image costs only the bytes that are not zero.
 */
final class MemoryImage {
    private final byte[][] chunks;
    private final int pages;

    /** The data segments as they were (some maybe dropped), or null if the code never drops. */
    private final DataSegment[] segments;

    private final long storedBytes;

    // Copy-on-write chunks are compared by identity: the question is sharing, not content.
    @SuppressWarnings("ReferenceEquality")
    private MemoryImage(byte[][] chunks, int pages, DataSegment[] segments) {
        this.chunks = chunks;
        this.pages = pages;
        this.segments = segments;
        long stored = 0;
        for (byte[] c : chunks) {
            if (c != ChunkedMemory.ZERO) {
                stored += c.length;
            }
        }
        this.storedBytes = stored;
    }

    /**
     * Copies {@code memory}'s current content.
     *
     * @param tracksSegments whether the module can drop data segments (then their state is kept)
     */
    static MemoryImage capture(ResettableMemory memory, boolean tracksSegments) {
        return capture(memory, tracksSegments, true);
    }

    /**
     * {@code memory}'s current content, copied or, with {@code copy} false, taking its chunk arrays
     * themselves (for {@link ResettableMemory#captureInPlace}, which makes sure the memory never
     * writes them again).
     */
    static MemoryImage capture(ResettableMemory memory, boolean tracksSegments, boolean copy) {
        byte[][] chunks = new byte[memory.chunkCount()][];
        for (int i = 0; i < chunks.length; i++) {
            byte[] c = memory.chunkForCapture(i);
            chunks[i] = isZero(c) ? ChunkedMemory.ZERO : copy ? c.clone() : c;
        }
        DataSegment[] segments = memory.segments();
        return new MemoryImage(
                chunks,
                memory.pages(),
                tracksSegments && segments != null ? segments.clone() : null);
    }

    // Identity first: the shared zero chunk needs no scan.
    @SuppressWarnings("ReferenceEquality")
    private static boolean isZero(byte[] chunk) {
        return chunk == ChunkedMemory.ZERO || Arrays.mismatch(chunk, ChunkedMemory.ZERO) < 0;
    }

    int pages() {
        return pages;
    }

    int chunkCount() {
        return chunks.length;
    }

    byte[] chunk(int i) {
        return chunks[i];
    }

    /** Writes this content into {@code target}, a zeroed array at least the image's size. */
    // The zero chunk is the one shared array: identity says which chunks need no copy.
    @SuppressWarnings("ReferenceEquality")
    void copyTo(byte[] target) {
        for (int i = 0; i < chunks.length; i++) {
            if (chunks[i] != ChunkedMemory.ZERO) {
                System.arraycopy(
                        chunks[i],
                        0,
                        target,
                        i << ResettableMemory.CHUNK_SHIFT,
                        ResettableMemory.CHUNK_SIZE);
            }
        }
    }

    /** Puts dropped data segments back into {@code target}, the instance's segment array. */
    void restoreSegments(DataSegment[] target) {
        if (segments != null && target != null) {
            System.arraycopy(segments, 0, target, 0, segments.length);
        }
    }

    /** Heap bytes of the non-zero chunks this image holds. */
    long storedBytes() {
        return storedBytes;
    }
}
