package dev.kiln.abi;

/**
 * A guest's linear memory as the ABI sees it. Implementations need not check bounds: {@link
 * #checkRange} is called by every host call before it touches memory.
 */
public interface GuestMemory {
    /** Current size in bytes. */
    long size();

    byte[] read(int ptr, int len);

    void write(int ptr, byte[] bytes, int offset, int len);

    /**
     * Checks that {@code [ptr, ptr+len)} lies inside memory, treating both as unsigned 32-bit
     * numbers as Wasm does; throws {@link AbiViolationException} otherwise.
     */
    default void checkRange(long ptr, long len, String what) {
        long p = ptr & 0xFFFF_FFFFL;
        long l = len & 0xFFFF_FFFFL;
        if (p + l > size()) {
            throw new AbiViolationException(
                    what
                            + ": range ["
                            + p
                            + ", "
                            + (p + l)
                            + ") is outside guest memory of "
                            + size()
                            + " bytes");
        }
    }
}
