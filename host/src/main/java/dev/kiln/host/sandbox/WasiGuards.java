package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;

/**
 * Checks placed in front of Chicory's WASI functions, for what Chicory trusts the guest with: I/O
 * vectors are bounds-checked before Chicory sizes a host buffer from them, and with granted
 * directories ({@link ReadOnlyDirs}) nothing can be changed on the host or reached outside them.
 */
final class WasiGuards {
    // WASI preview 1 errno values (Chicory keeps its own enum package-private).
    static final int ESUCCESS = 0;
    static final int EFAULT = 21;
    static final int EINVAL = 28;
    static final int EMFILE = 33;
    static final int EROFS = 69;
    static final int ENOTCAPABLE = 76;

    /** Functions that take {@code (fd, iovs, iovs_len, ...)}. */
    private static final Set<String> VECTORED =
            Set.of("fd_read", "fd_write", "fd_pread", "fd_pwrite");

    /** Most I/O vectors one call may pass (POSIX's IOV_MAX on Linux). */
    static final int MAX_IOVS = 1024;

    /** Functions that change files or directories; all refused, the grants being read-only. */
    private static final Set<String> MUTATING =
            Set.of(
                    "fd_allocate",
                    "fd_filestat_set_size",
                    "fd_filestat_set_times",
                    "path_create_directory",
                    "path_filestat_set_times",
                    "path_link",
                    "path_remove_directory",
                    "path_rename",
                    "path_symlink",
                    "path_unlink_file");

    private WasiGuards() {}

    /**
     * @param dirs the invocation's granted directories, or null when it has none
     */
    // A guard that returns the same handle left the function as it was: no wrapper needed.
    @SuppressWarnings("ReferenceEquality")
    static HostFunction[] apply(HostFunction[] functions, ReadOnlyDirs dirs) {
        HostFunction[] out = new HostFunction[functions.length];
        for (int i = 0; i < functions.length; i++) {
            HostFunction f = functions[i];
            WasmFunctionHandle inner = f.handle();
            WasmFunctionHandle guarded = inner;
            String name = f.name();
            if (VECTORED.contains(name)) {
                guarded =
                        (inst, args) -> {
                            int errno = checkIovs(inst.memory(), args);
                            return errno == 0 ? inner.apply(inst, args) : errno(errno);
                        };
            } else if (dirs != null && MUTATING.contains(name)) {
                guarded = (inst, args) -> errno(EROFS);
            } else if (dirs != null) {
                guarded = dirs.guard(name, inner);
            }
            out[i] =
                    guarded == inner
                            ? f
                            : new HostFunction(f.module(), name, f.functionType(), guarded);
        }
        return out;
    }

    /**
     * 0 when the vector array and every buffer it names lie inside memory, else the errno a kernel
     * would give: EINVAL for too many vectors, EFAULT for a bad address.
     */
    static int checkIovs(Memory memory, long[] args) {
        long size = (long) memory.pages() * Memory.PAGE_SIZE;
        long iovs = args[1] & 0xFFFF_FFFFL;
        long count = args[2] & 0xFFFF_FFFFL;
        if (count > MAX_IOVS) {
            return EINVAL;
        }
        if (iovs + count * 8 > size) {
            return EFAULT;
        }
        ByteBuffer table = iovTable(memory, args);
        for (int i = 0; i < count; i++) {
            long base = table.getInt(i * 8) & 0xFFFF_FFFFL;
            long len = table.getInt(i * 8 + 4) & 0xFFFF_FFFFL;
            if (base + len > size) {
                return EFAULT;
            }
        }
        return 0;
    }

    /**
     * The guest's I/O vector array ({@code (base, len)} pairs of u32), read in one copy; only after
     * {@link #checkIovs} found it inside memory.
     */
    static ByteBuffer iovTable(Memory memory, long[] args) {
        int iovs = (int) args[1];
        int count = (int) (args[2] & 0xFFFF_FFFFL);
        return ByteBuffer.wrap(memory.readBytes(iovs, count * 8)).order(ByteOrder.LITTLE_ENDIAN);
    }

    static long[] errno(int value) {
        return new long[] {value};
    }

    static boolean inMemory(Instance inst, long ptr, long len) {
        long size = (long) inst.memory().pages() * Memory.PAGE_SIZE;
        return (ptr & 0xFFFF_FFFFL) + (len & 0xFFFF_FFFFL) <= size;
    }
}
