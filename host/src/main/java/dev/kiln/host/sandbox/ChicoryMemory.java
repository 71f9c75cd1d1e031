package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.Memory;
import dev.kiln.abi.GuestMemory;

/** Adapts a Chicory memory to the ABI's view of guest memory. */
final class ChicoryMemory implements GuestMemory {
    private final Memory memory;

    ChicoryMemory(Memory memory) {
        this.memory = memory;
    }

    int pages() {
        return memory.pages();
    }

    @Override
    public long size() {
        return (long) memory.pages() * Memory.PAGE_SIZE;
    }

    @Override
    public byte[] read(int ptr, int len) {
        return memory.readBytes(ptr, len);
    }

    @Override
    public void write(int ptr, byte[] bytes, int offset, int len) {
        memory.write(ptr, bytes, offset, len);
    }
}
