package dev.kiln.host.sandbox;

import com.dylibso.chicory.wasm.types.MemoryLimits;

/**
 * Typed little-endian loads and stores over a table of 4 KiB chunks, the hot half of {@link
 * ChunkedMemory}: a value inside one chunk is one array access, a value that straddles two is read
 * or written byte by byte, all or nothing. Where the bytes come from, and how a chunk becomes
 * writable, is the subclass's job ({@link #writableChunk}).
 */
abstract sealed class ChunkedMemoryAccess extends ResettableMemory permits ChunkedMemory {
    /** What reads see; exactly {@code pages * CHUNKS_PER_PAGE} long, so a bad index throws. */
    byte[][] chunks;

    ChunkedMemoryAccess(MemoryLimits limits) {
        super(limits);
    }

    /** The chunk holding {@code addr}, private to this memory and writable; traps out of bounds. */
    abstract byte[] writableChunk(int addr, int size);

    // --- scalar reads -----------------------------------------------------------------------

    @Override
    public byte read(int addr) {
        try {
            return chunks[addr >>> CHUNK_SHIFT][addr & CHUNK_MASK];
        } catch (ArrayIndexOutOfBoundsException e) {
            throw outOfBounds(addr, 1);
        }
    }

    @Override
    public short readShort(int addr) {
        int off = addr & CHUNK_MASK;
        if (off <= CHUNK_SIZE - 2) {
            try {
                return (short) SHORT.get(chunks[addr >>> CHUNK_SHIFT], off);
            } catch (ArrayIndexOutOfBoundsException e) {
                throw outOfBounds(addr, 2);
            }
        }
        return (short) readStraddling(addr, 2);
    }

    @Override
    public int readInt(int addr) {
        int off = addr & CHUNK_MASK;
        if (off <= CHUNK_SIZE - 4) {
            try {
                return (int) INT.get(chunks[addr >>> CHUNK_SHIFT], off);
            } catch (ArrayIndexOutOfBoundsException e) {
                throw outOfBounds(addr, 4);
            }
        }
        return (int) readStraddling(addr, 4);
    }

    @Override
    public long readLong(int addr) {
        int off = addr & CHUNK_MASK;
        if (off <= CHUNK_SIZE - 8) {
            try {
                return (long) LONG.get(chunks[addr >>> CHUNK_SHIFT], off);
            } catch (ArrayIndexOutOfBoundsException e) {
                throw outOfBounds(addr, 8);
            }
        }
        return readStraddling(addr, 8);
    }

    @Override
    public float readFloat(int addr) {
        int off = addr & CHUNK_MASK;
        if (off <= CHUNK_SIZE - 4) {
            try {
                return (float) FLOAT.get(chunks[addr >>> CHUNK_SHIFT], off);
            } catch (ArrayIndexOutOfBoundsException e) {
                throw outOfBounds(addr, 4);
            }
        }
        return Float.intBitsToFloat((int) readStraddling(addr, 4));
    }

    @Override
    public double readDouble(int addr) {
        int off = addr & CHUNK_MASK;
        if (off <= CHUNK_SIZE - 8) {
            try {
                return (double) DOUBLE.get(chunks[addr >>> CHUNK_SHIFT], off);
            } catch (ArrayIndexOutOfBoundsException e) {
                throw outOfBounds(addr, 8);
            }
        }
        return Double.longBitsToDouble(readStraddling(addr, 8));
    }

    /** A little-endian value whose bytes span two chunks. */
    private long readStraddling(int addr, int size) {
        checkRange(addr, size);
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = (v << 8) | (read(addr + i) & 0xFFL);
        }
        return v;
    }

    // --- scalar writes ----------------------------------------------------------------------

    @Override
    public void writeByte(int addr, byte data) {
        writableChunk(addr, 1)[addr & CHUNK_MASK] = data;
    }

    @Override
    public void writeShort(int addr, short data) {
        int off = addr & CHUNK_MASK;
        if (off <= CHUNK_SIZE - 2) {
            SHORT.set(writableChunk(addr, 2), off, data);
        } else {
            writeStraddling(addr, data, 2);
        }
    }

    @Override
    public void writeI32(int addr, int data) {
        int off = addr & CHUNK_MASK;
        if (off <= CHUNK_SIZE - 4) {
            INT.set(writableChunk(addr, 4), off, data);
        } else {
            writeStraddling(addr, data, 4);
        }
    }

    @Override
    public void writeLong(int addr, long data) {
        int off = addr & CHUNK_MASK;
        if (off <= CHUNK_SIZE - 8) {
            LONG.set(writableChunk(addr, 8), off, data);
        } else {
            writeStraddling(addr, data, 8);
        }
    }

    @Override
    public void writeF32(int addr, float data) {
        int off = addr & CHUNK_MASK;
        if (off <= CHUNK_SIZE - 4) {
            FLOAT.set(writableChunk(addr, 4), off, data);
        } else {
            writeStraddling(addr, Float.floatToRawIntBits(data), 4);
        }
    }

    @Override
    public void writeF64(int addr, double data) {
        int off = addr & CHUNK_MASK;
        if (off <= CHUNK_SIZE - 8) {
            DOUBLE.set(writableChunk(addr, 8), off, data);
        } else {
            writeStraddling(addr, Double.doubleToRawLongBits(data), 8);
        }
    }

    private void writeStraddling(int addr, long value, int size) {
        checkRange(addr, size); // all or nothing: a trapping store writes no byte
        for (int i = 0; i < size; i++) {
            writeByte(addr + i, (byte) (value >>> (8 * i)));
        }
    }
}
