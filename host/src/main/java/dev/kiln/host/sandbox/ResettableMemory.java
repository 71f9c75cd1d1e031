package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.ConstantEvaluators;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import dev.kiln.host.fuel.FuelInjector;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A guest's linear memory that can be put back to a {@link MemoryImage} cheaply: writes record
 * which 4 KiB chunks they touched, and a reset only deals with those (docs/adr/
 * 0008-instance-reset.md). Two layouts, one per host ({@link ResetStrategy}): {@link ChunkedMemory}
 * shares what it did not write with the image, {@link FlatMemory} holds all of memory in one array
 * for faster loads and stores (docs/adr/0064). A host uses one of them, so guest code is compiled
 * against one class. What both share lives here: limits, data segments, refused grows. Not
 * thread-safe: an instance runs one invocation at a time.
 */
abstract sealed class ResettableMemory implements Memory permits ChunkedMemoryAccess, FlatMemory {
    static final int CHUNK_SHIFT = 12;
    static final int CHUNK_SIZE = 1 << CHUNK_SHIFT;
    static final int CHUNK_MASK = CHUNK_SIZE - 1;
    static final int CHUNKS_PER_PAGE = PAGE_SIZE / CHUNK_SIZE;

    static final VarHandle SHORT =
            MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle INT =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle FLOAT =
            MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle DOUBLE =
            MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);

    private final MemoryLimits limits;

    /** Pages in use. */
    int pages;

    /** What a reset goes back to; null before the first attach or capture. */
    MemoryImage image;

    /** The instance's data segments (shared with the instance: data.drop empties entries). */
    DataSegment[] segments;

    private boolean segmentsFromImage;

    /**
     * Pages asked for by the largest {@code memory.grow} refused at the cap since {@link
     * #clearRefusedGrow()}, or 0: a trap after a refused grow is the cap's doing (issue 15 item 7).
     */
    private int refusedGrowPages;

    /**
     * The instance's fuel when its code was rewritten to keep it here ({@link MemoryFuel}, docs/
     * adr/0065); the injector's initial value, so a start function and init run on the same budget
     * as with the global.
     */
    long fuel = FuelInjector.INIT_FUEL;

    ResettableMemory(MemoryLimits limits) {
        this.limits = limits;
    }

    /** A new memory of {@code limits} in the layout {@code strategy} calls for. */
    static ResettableMemory create(MemoryLimits limits, ResetStrategy strategy) {
        return strategy == ResetStrategy.FLAT
                ? new FlatMemory(limits)
                : new ChunkedMemory(limits, strategy);
    }

    static WasmRuntimeException outOfBounds(int addr, int size) {
        return new WasmRuntimeException(
                "out of bounds memory access: attempted to access address: "
                        + Integer.toUnsignedString(addr)
                        + " and size: "
                        + size);
    }

    /** Makes this memory's content {@code image}'s. */
    abstract void attach(MemoryImage image);

    /**
     * Puts this memory back to its image. Returns false, changing nothing, if there is no image
     * yet.
     */
    final boolean reset() {
        MemoryImage img = image;
        if (img == null) {
            return false;
        }
        restoreContent(img);
        pages = img.pages();
        img.restoreSegments(segments);
        return true;
    }

    /**
     * Puts the content back to {@code img}'s, and what memory holds to its size; {@link #reset}
     * then sets the size and the data segments.
     */
    abstract void restoreContent(MemoryImage img);

    /**
     * Makes this memory's current content its image, holding it once where the layout allows, and
     * attaches this memory to it.
     */
    abstract MemoryImage captureInPlace(boolean tracksSegments);

    /** Bytes of memory content this memory holds privately (not shared with its image). */
    abstract long privateBytes();

    /** Heap bytes of the tables this memory keeps about its chunks. */
    abstract long bookkeepingBytes();

    /** Chunk {@code i} as reads see it, not to be written; for {@link MemoryImage#capture}. */
    abstract byte[] chunkForCapture(int i);

    /** Chunks in memory now: {@code pages * 16}. */
    abstract int chunkCount();

    long sizeInBytes() {
        return (long) pages() * PAGE_SIZE;
    }

    /**
     * Traps unless {@code data[offset, offset + size)} exists and {@code size} bytes at {@code
     * addr} are in memory: a bulk write.
     */
    final void checkWrite(int addr, byte[] data, int offset, int size) {
        if (offset < 0 || size < 0 || (long) offset + size > data.length) {
            throw outOfBounds(offset, size);
        }
        checkRange(addr, size);
    }

    /** Traps unless {@code size} bytes at {@code addr} are all in memory (bulk operations). */
    final void checkRange(int addr, int size) {
        if (addr < 0 || size < 0 || (long) addr + size > sizeInBytes()) {
            throw outOfBounds(addr, size);
        }
    }

    /**
     * Makes the next {@link #initialize} skip active data segments: the image this memory will be
     * {@linkplain #attach attached} to holds their effect already.
     */
    void skipActiveSegments() {
        segmentsFromImage = true;
    }

    DataSegment[] segments() {
        return segments;
    }

    /** Makes room for {@code newPages} pages of memory, the new ones all zero. */
    abstract void growTo(int newPages);

    @Override
    public final int pages() {
        return pages;
    }

    /** A refusal of a real growth is remembered ({@link #refusedGrowPages}). */
    @Override
    public final int grow(int size) {
        int previous = pages;
        if (size < 0 || (long) previous + size > maximumPages()) {
            if (size > 0) {
                refusedGrowPages = Math.max(refusedGrowPages, size);
            }
            return -1;
        }
        growTo(previous + size);
        pages = previous + size;
        return previous;
    }

    /**
     * Pages asked for by the largest {@code memory.grow} the cap refused since the last {@link
     * #clearRefusedGrow()}, or 0 when none was refused.
     */
    int refusedGrowPages() {
        return refusedGrowPages;
    }

    /** Forgets refused grows: called as an invocation starts. */
    void clearRefusedGrow() {
        refusedGrowPages = 0;
    }

    @Override
    public int initialPages() {
        return limits.initialPages();
    }

    @Override
    public int maximumPages() {
        return Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES);
    }

    @Override
    public boolean shared() {
        return false;
    }

    // Shared memory is refused at upload: the wait/notify family only ever sees one thread.

    @Override
    @SuppressWarnings("removal")
    public Object lock(int address) {
        return this;
    }

    @Override
    @SuppressWarnings("removal")
    public int waitOn(int address, int expected, long timeout) {
        throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
    }

    @Override
    @SuppressWarnings("removal")
    public int waitOn(int address, long expected, long timeout) {
        throw new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
    }

    @Override
    @SuppressWarnings("removal")
    public int notify(int address, int maxThreads) {
        return 0;
    }

    // --- data segments ----------------------------------------------------------------------

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments) {
        initialize(instance, dataSegments, 0);
    }

    @Override
    public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {
        this.segments = dataSegments;
        if (dataSegments == null || segmentsFromImage) {
            return;
        }
        for (DataSegment s : dataSegments) {
            if (s instanceof ActiveDataSegment segment && segment.index() == memoryIndex) {
                int offset =
                        (int)
                                ConstantEvaluators.computeConstantValue(
                                        instance, segment.offsetInstructions())[0];
                byte[] data = segment.data();
                if (offset < 0 || (long) offset + data.length > sizeInBytes()) {
                    throw new UninstantiableException("out of bounds memory access");
                }
                write(offset, data, 0, data.length);
            }
        }
    }

    @Override
    public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
        write(dest, segments[segmentId].data(), offset, size);
    }

    @Override
    public void drop(int segment) {
        segments[segment] = PassiveDataSegment.EMPTY;
    }

    @Override
    public long readU16(int addr) {
        return readShort(addr) & 0xFFFFL;
    }

    @Override
    public long readF32(int addr) {
        return readInt(addr);
    }

    @Override
    public long readF64(int addr) {
        return readLong(addr);
    }
}
