package dev.kiln.host.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Kiln's memory behaves as Wasm memory in both layouts, and every reset strategy restores the
 * image.
 */
class ResettableMemoryTest {
    static final int CHUNK = ResettableMemory.CHUNK_SIZE;

    private static ResettableMemory memory(ResetStrategy strategy, int pages, int max) {
        return ResettableMemory.create(new MemoryLimits(pages, max), strategy);
    }

    /** A memory with a recognisable image attached: byte i = i * 7 in the first chunks. */
    private static ResettableMemory withImage(ResetStrategy strategy) {
        ResettableMemory m = memory(strategy, 2, 4);
        byte[] pattern = new byte[3 * CHUNK];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (byte) (i * 7);
        }
        m.write(100, pattern, 0, pattern.length);
        m.writeLong(Memory.PAGE_SIZE + 8, 0x1122334455667788L);
        m.attach(MemoryImage.capture(m, false));
        return m;
    }

    private static byte[] content(ResettableMemory m) {
        return m.readBytes(0, m.pages() * Memory.PAGE_SIZE);
    }

    @ParameterizedTest
    @EnumSource(ResetStrategy.class)
    void scalarsRoundTripIncludingAcrossChunkEdges(ResetStrategy strategy) {
        ResettableMemory m = memory(strategy, 1, 1);
        for (int edge : new int[] {CHUNK - 1, CHUNK - 3, CHUNK - 7, 2 * CHUNK - 2}) {
            m.writeLong(edge, 0x0102030405060708L);
            assertThat(m.readLong(edge)).isEqualTo(0x0102030405060708L);
            m.writeI32(edge, 0xCAFEBABE);
            assertThat(m.readInt(edge)).isEqualTo(0xCAFEBABE);
            m.writeShort(edge, (short) 0xBEEF);
            assertThat(m.readShort(edge)).isEqualTo((short) 0xBEEF);
            m.writeF64(edge, 3.25);
            assertThat(m.readDouble(edge)).isEqualTo(3.25);
            m.writeF32(edge, -1.5f);
            assertThat(m.readFloat(edge)).isEqualTo(-1.5f);
        }
        // Little-endian across the edge, byte by byte.
        m.writeI32(CHUNK - 2, 0x44332211);
        assertThat(m.read(CHUNK - 2)).isEqualTo((byte) 0x11);
        assertThat(m.read(CHUNK + 1)).isEqualTo((byte) 0x44);
    }

    @ParameterizedTest
    @EnumSource(ResetStrategy.class)
    void outOfBoundsAccessTrapsAndWritesNothing(ResetStrategy strategy) {
        ResettableMemory m = memory(strategy, 1, 2);
        int end = Memory.PAGE_SIZE;
        assertThatThrownBy(() -> m.readInt(end - 2)).isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> m.writeLong(end - 4, -1L))
                .isInstanceOf(WasmRuntimeException.class);
        assertThat(m.readInt(end - 4)).isZero(); // the trapping store wrote no byte
        assertThatThrownBy(() -> m.read(end)).isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> m.writeByte(-1, (byte) 1))
                .isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> m.readBytes(end - 1, 2)).isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> m.fill((byte) 1, end - 1, end + 1))
                .isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> m.copy(0, end - 1, 2)).isInstanceOf(WasmRuntimeException.class);
        assertThat(m.grow(1)).isEqualTo(1);
        assertThat(m.readInt(end - 2)).isZero(); // in bounds now
        assertThat(m.grow(1)).isEqualTo(-1); // beyond the maximum
    }

    @ParameterizedTest
    @EnumSource(ResetStrategy.class)
    void bulkOperationsSpanChunks(ResetStrategy strategy) {
        ResettableMemory m = memory(strategy, 1, 1);
        byte[] data = new byte[3 * CHUNK + 17];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        m.write(CHUNK - 5, data, 0, data.length);
        assertThat(m.readBytes(CHUNK - 5, data.length)).isEqualTo(data);
        // Overlapping copy forwards and backwards, as memmove.
        byte[] expected = content(m);
        System.arraycopy(expected, 100, expected, 100 + CHUNK + 3, 2 * CHUNK);
        m.copy(100 + CHUNK + 3, 100, 2 * CHUNK);
        assertThat(content(m)).isEqualTo(expected);
        System.arraycopy(expected, 3 * CHUNK, expected, CHUNK - 1, CHUNK + 9);
        m.copy(CHUNK - 1, 3 * CHUNK, CHUNK + 9);
        assertThat(content(m)).isEqualTo(expected);
        m.fill((byte) 9, CHUNK - 2, 2 * CHUNK + 2);
        Arrays.fill(expected, CHUNK - 2, 2 * CHUNK + 2, (byte) 9);
        assertThat(content(m)).isEqualTo(expected);
    }

    @ParameterizedTest
    @EnumSource(ResetStrategy.class)
    void resetRestoresTheImageAfterWritesAndGrowth(ResetStrategy strategy) {
        ResettableMemory m = withImage(strategy);
        byte[] image = content(m);
        for (int round = 0; round < 3; round++) {
            m.writeI32(5000, 42);
            m.fill((byte) -1, 0, 2 * CHUNK);
            m.writeLong(Memory.PAGE_SIZE + 8, round);
            assertThat(m.grow(2)).isEqualTo(2);
            m.writeI32(3 * Memory.PAGE_SIZE, 7);
            assertThat(m.reset()).isTrue();
            assertThat(m.pages()).isEqualTo(2);
            assertThat(content(m)).isEqualTo(image);
            assertThatThrownBy(() -> m.readInt(2 * Memory.PAGE_SIZE))
                    .isInstanceOf(WasmRuntimeException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(ResetStrategy.class)
    void instancesSharingAnImageDoNotSeeEachOthersWrites(ResetStrategy strategy) {
        int original = withImage(strategy).readInt(200);
        ResettableMemory first = withImage(strategy);
        MemoryImage image = MemoryImage.capture(first, false);
        ResettableMemory second = memory(strategy, 2, 4);
        second.attach(image);
        first.writeI32(200, 1);
        second.writeI32(200, 2);
        assertThat(first.readInt(200)).isEqualTo(1);
        assertThat(second.readInt(200)).isEqualTo(2);
        ResettableMemory third = memory(strategy, 2, 4);
        third.attach(image);
        assertThat(third.readInt(200)).isEqualTo(original);
    }

    @ParameterizedTest
    @EnumSource(
            value = ResetStrategy.class,
            names = {"COPY_DIRTY", "COPY_ON_WRITE"})
    void onlyWrittenChunksArePrivate(ResetStrategy strategy) {
        MemoryImage image = MemoryImage.capture(withImage(strategy), false);
        ResettableMemory m = memory(strategy, 2, 4);
        m.attach(image);
        assertThat(m.privateBytes()).isZero();
        m.writeByte(1 * CHUNK, (byte) 1); // an image chunk
        m.writeByte(1 * CHUNK + 1, (byte) 1);
        m.writeByte(11 * CHUNK, (byte) 1); // a zero chunk
        assertThat(m.privateBytes()).isEqualTo(2L * CHUNK);
    }

    @ParameterizedTest
    @EnumSource(ResetStrategy.class)
    void zeroChunksOfAnImageAreShared(ResetStrategy strategy) {
        ResettableMemory m = memory(strategy, 16, 16);
        m.writeByte(0, (byte) 1);
        MemoryImage image = MemoryImage.capture(m, false);
        assertThat(image.storedBytes()).isEqualTo(CHUNK);
    }

    /**
     * Flat memory restores exactly what was written, stores that straddle two chunks included (only
     * the first is marked), holds all of memory, and after growing keeps its array: the next grow
     * finds zeros where the last invocation wrote.
     */
    @Test
    void flatMemoryResetsWhatItWroteAndKeepsItsArrayAfterGrowing() {
        ResettableMemory m = withImage(ResetStrategy.FLAT);
        byte[] image = content(m);
        for (int round = 0; round < 3; round++) {
            m.writeLong(3 * CHUNK - 3, -1L); // straddles chunks 2 and 3
            m.writeI32(20 * CHUNK - 2, round + 1); // straddles 19 and 20, zero in the image
            m.writeShort(16 * CHUNK - 1, (short) -1); // straddles into the second page
            m.copy(9 * CHUNK, 0, 2 * CHUNK);
            m.write(Memory.PAGE_SIZE - 1, new byte[] {1, 2, 3}, 0, 3);
            assertThat(content(m)).isNotEqualTo(image);
            assertThat(m.reset()).isTrue();
            assertThat(content(m)).isEqualTo(image);
        }
        assertThat(m.privateBytes()).isEqualTo(2L * Memory.PAGE_SIZE);
        assertThat(m.grow(1)).isEqualTo(2);
        m.writeI32(2 * Memory.PAGE_SIZE + 100, 9);
        m.writeLong(3 * Memory.PAGE_SIZE - 8, 9);
        assertThat(m.reset()).isTrue();
        assertThat(m.pages()).isEqualTo(2);
        assertThat(content(m)).isEqualTo(image);
        assertThatThrownBy(() -> m.readInt(2 * Memory.PAGE_SIZE + 100))
                .isInstanceOf(WasmRuntimeException.class);
        assertThatThrownBy(() -> m.writeByte(2 * Memory.PAGE_SIZE, (byte) 1))
                .isInstanceOf(WasmRuntimeException.class);
        assertThat(m.privateBytes()).isEqualTo(3L * Memory.PAGE_SIZE);
        assertThat(m.grow(1)).isEqualTo(2);
        assertThat(m.readInt(2 * Memory.PAGE_SIZE + 100)).isZero();
        assertThat(m.readLong(3 * Memory.PAGE_SIZE - 8)).isZero();
    }

    /**
     * The same random stores, fills, copies, grows and resets on a chunked and a flat memory of one
     * image leave the same content after every step.
     */
    @Test
    void flatAndChunkedMemoriesAgreeStepByStep() {
        MemoryImage image = MemoryImage.capture(withImage(ResetStrategy.COPY_ON_WRITE), false);
        ResettableMemory chunked = memory(ResetStrategy.COPY_ON_WRITE, 2, 5);
        chunked.attach(image);
        ResettableMemory flat = memory(ResetStrategy.FLAT, 2, 5);
        flat.attach(image);
        java.util.Random random = new java.util.Random(7);
        for (int step = 0; step < 3000; step++) {
            int size = chunked.pages() * Memory.PAGE_SIZE;
            // Near a chunk's end half the time: stores that straddle two chunks.
            int at =
                    random.nextBoolean()
                            ? random.nextInt(size - 8)
                            : (random.nextInt(size / CHUNK - 1) + 1) * CHUNK
                                    - 1
                                    - random.nextInt(7);
            long value = random.nextLong();
            int len = random.nextInt(3 * CHUNK);
            int from = random.nextInt(size - len);
            int to = random.nextInt(size - len);
            int op = random.nextInt(10);
            int grow = random.nextInt(40) == 0 ? 1 : 0;
            for (ResettableMemory m : new ResettableMemory[] {chunked, flat}) {
                switch (op) {
                    case 0 -> m.writeLong(at, value);
                    case 1 -> m.writeI32(at, (int) value);
                    case 2 -> m.writeShort(at, (short) value);
                    case 3 -> m.writeByte(at, (byte) value);
                    case 4 -> m.fill((byte) value, from, from + len);
                    case 5 -> m.copy(to, from, len);
                    case 6 -> m.write(to, new byte[len], 0, len);
                    case 7 -> m.writeF64(at, Double.longBitsToDouble(value));
                    case 8 -> m.grow(grow);
                    default -> m.reset();
                }
            }
            assertThat(flat.pages()).as("step %d", step).isEqualTo(chunked.pages());
            int probe = at % (chunked.pages() * Memory.PAGE_SIZE - 8); // a reset may shrink
            assertThat(flat.readLong(probe)).as("step %d", step).isEqualTo(chunked.readLong(probe));
            if (step % 50 == 0 || op >= 8) {
                assertThat(content(flat)).as("step %d", step).isEqualTo(content(chunked));
            }
        }
    }

    /**
     * The running count of private bytes (asked on every release, for the memory budget) always
     * equals a walk over every chunk, through writes, grows, fills, copies, resets and re-attaches.
     */
    @ParameterizedTest
    @EnumSource(
            value = ResetStrategy.class,
            names = {"COPY_ALL", "COPY_DIRTY", "COPY_ON_WRITE"})
    void privateByteCountMatchesAWalkOverTheChunks(ResetStrategy strategy) {
        ChunkedMemory m = (ChunkedMemory) memory(strategy, 1, 8);
        java.util.Random random = new java.util.Random(42);
        assertThat(m.privateBytes()).isEqualTo(m.privateBytesByScan());
        byte[] data = new byte[3 * CHUNK];
        Arrays.fill(data, (byte) 9);
        m.write(10, data, 0, data.length);
        assertThat(m.privateBytes()).isEqualTo(m.privateBytesByScan());
        m.attach(MemoryImage.capture(m, false));
        assertThat(m.privateBytes()).isEqualTo(m.privateBytesByScan());
        for (int step = 0; step < 3000; step++) {
            int size = m.pages() * Memory.PAGE_SIZE;
            switch (random.nextInt(7)) {
                case 0 -> m.writeByte(random.nextInt(size), (byte) 1);
                case 1 -> {
                    int len = random.nextInt(2 * CHUNK);
                    int at = random.nextInt(size - len);
                    m.fill((byte) 3, at, at + len);
                }
                case 2 -> {
                    int len = random.nextInt(CHUNK);
                    m.copy(random.nextInt(size - len), random.nextInt(size - len), len);
                }
                case 3 -> m.grow(random.nextInt(2));
                case 4 -> m.reset();
                case 5 -> {
                    if (random.nextInt(50) == 0) {
                        m.zero();
                    }
                }
                default -> {
                    // Many chunks at once: past the spare pool's bound on the next reset.
                    int len = Math.min(size, 300 * CHUNK);
                    m.fill((byte) 5, 0, random.nextInt(len));
                }
            }
            assertThat(m.privateBytes()).as("step %d", step).isEqualTo(m.privateBytesByScan());
        }
    }
}
