package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import dev.kiln.abi.HostWork;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Meters the host work of a wasi-cgi guest's WASI calls (docs/adr/0027): placed outside {@link
 * WasiGuards}, it charges every call and every byte to the guest's fuel and the invocation's host
 * byte cap ({@link HostWork}), refuses single calls that would move more than the per-call cap, and
 * serves reads of stdin and writes to stdout and stderr itself, in chunks with a deadline check
 * between them, instead of Chicory's, which copies each I/O vector whole into a new array (a vector
 * can be all of memory, and a call can pass 1024 of them).
 */
final class WasiHostWork {
    static final int EBADF = 8;
    static final int EIO = 29;
    static final int ENAMETOOLONG = 37;

    /** Longest path a guest may pass (Linux's PATH_MAX). */
    static final int MAX_PATH_BYTES = 4096;

    /** Stdio is copied in chunks of this size, with a charge and a deadline check for each. */
    static final int CHUNK = 64 * 1024;

    private static final long U32 = 0xFFFF_FFFFL;

    /** For each path-taking function, the argument positions of its (ptr, len) paths. */
    private static final Map<String, int[]> PATHS =
            Map.of(
                    "path_create_directory", new int[] {1},
                    "path_filestat_get", new int[] {2},
                    "path_filestat_set_times", new int[] {2},
                    "path_link", new int[] {2, 5},
                    "path_open", new int[] {2},
                    "path_readlink", new int[] {1},
                    "path_remove_directory", new int[] {1},
                    "path_rename", new int[] {1, 4},
                    "path_symlink", new int[] {0, 3},
                    "path_unlink_file", new int[] {1});

    /** Functions that fill a guest buffer of a given size: argument positions of (buf, len). */
    private static final Map<String, Integer> OUTPUT_BUFFERS =
            Map.of("fd_readdir", 1, "path_readlink", 3);

    private final HostWork work;
    private final GuestFuel fuel;
    private final InputStream stdin;
    private final OutputStream stdout;
    private final OutputStream stderr;
    private final long argsBytes;
    private final LongSupplier environBytes;

    /**
     * Whether fds 0–2 are still the host's streams, served here; false once the guest closed or
     * renumbered one (Chicory then serves that fd, under the per-call cap).
     */
    private final boolean[] stdio = {true, true, true};

    /**
     * Where stdin chunks pass on their way into guest memory; made at the first read, no larger
     * than what is left of stdin, so that a small payload does not cost a 64 KiB array.
     */
    private byte[] readBuffer;

    /**
     * @param argsBytes bytes {@code args_get} writes (strings, NULs and pointers)
     * @param environBytes bytes {@code environ_get} writes, asked for only when it is called
     */
    WasiHostWork(
            HostWork work,
            GuestFuel fuel,
            InputStream stdin,
            OutputStream stdout,
            OutputStream stderr,
            long argsBytes,
            LongSupplier environBytes) {
        this.work = work;
        this.fuel = fuel;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
        this.argsBytes = argsBytes;
        this.environBytes = environBytes;
    }

    /** The invocation's host work, shared with the kiln calls a wasi-cgi guest imports. */
    HostWork work() {
        return work;
    }

    HostFunction[] apply(HostFunction[] functions) {
        HostFunction[] out = new HostFunction[functions.length];
        for (int i = 0; i < functions.length; i++) {
            HostFunction f = functions[i];
            WasmFunctionHandle body = metered(f.name(), f.handle());
            out[i] =
                    new HostFunction(
                            f.module(),
                            f.name(),
                            f.functionType(),
                            (inst, args) -> {
                                fuel.bind(inst);
                                work.enterCall();
                                return body.apply(inst, args);
                            });
        }
        return out;
    }

    private WasmFunctionHandle metered(String name, WasmFunctionHandle inner) {
        int[] paths = PATHS.get(name);
        Integer output = OUTPUT_BUFFERS.get(name);
        return switch (name) {
            case "fd_write" ->
                    (inst, args) -> {
                        int fd = (int) args[0];
                        if (fd == 1 && stdio[1]) {
                            return write(inst, args, stdout);
                        }
                        if (fd == 2 && stdio[2]) {
                            return write(inst, args, stderr);
                        }
                        return vectored(inst, args, inner);
                    };
            case "fd_read" ->
                    (inst, args) ->
                            args[0] == 0 && stdio[0]
                                    ? read(inst, args)
                                    : vectored(inst, args, inner);
            case "fd_pread", "fd_pwrite" -> (inst, args) -> vectored(inst, args, inner);
            case "fd_close" ->
                    (inst, args) -> {
                        long[] r = inner.apply(inst, args);
                        if (r[0] == WasiGuards.ESUCCESS) {
                            leaveStdio(args[0]);
                        }
                        return r;
                    };
            case "fd_renumber" ->
                    (inst, args) -> {
                        long[] r = inner.apply(inst, args);
                        if (r[0] == WasiGuards.ESUCCESS) {
                            leaveStdio(args[0]);
                            leaveStdio(args[1]);
                        }
                        return r;
                    };
            case "random_get" ->
                    (inst, args) -> {
                        long len = args[1] & U32;
                        if (len > work.maxBytesPerCall()) {
                            return WasiGuards.errno(WasiGuards.EINVAL);
                        }
                        if (!WasiGuards.inMemory(inst, args[0], len)) {
                            return WasiGuards.errno(WasiGuards.EFAULT);
                        }
                        work.random(len);
                        return inner.apply(inst, args); // Chicory checks the interrupt per 4 KiB
                    };
            case "poll_oneoff" ->
                    (inst, args) -> {
                        long n = args[2] & U32;
                        if (n > 0) {
                            if (!WasiGuards.inMemory(inst, args[0], n * 48)
                                    || !WasiGuards.inMemory(inst, args[1], n * 32)
                                    || !WasiGuards.inMemory(inst, args[3], 4)) {
                                return WasiGuards.errno(WasiGuards.EFAULT);
                            }
                            if (n * 80 > work.maxBytesPerCall()) {
                                return WasiGuards.errno(WasiGuards.EINVAL);
                            }
                            work.bytes(n * 80);
                        }
                        // A sleep here ends at the deadline: Chicory's sleep is interruptible.
                        return inner.apply(inst, args);
                    };
            case "args_get" ->
                    (inst, args) -> {
                        work.bytes(argsBytes);
                        return inner.apply(inst, args);
                    };
            case "environ_get" ->
                    (inst, args) -> {
                        work.bytes(environBytes.getAsLong());
                        return inner.apply(inst, args);
                    };
            default -> {
                if (paths == null && output == null) {
                    yield inner; // constant work: the call's fixed fuel covers it
                }
                yield (inst, args) -> {
                    long bytes = 0;
                    if (paths != null) {
                        for (int at : paths) {
                            long len = args[at + 1] & U32;
                            if (len > MAX_PATH_BYTES) {
                                return WasiGuards.errno(ENAMETOOLONG);
                            }
                            bytes += len;
                        }
                    }
                    if (output != null) {
                        long len = args[output + 1] & U32;
                        if (len > work.maxBytesPerCall()) {
                            return WasiGuards.errno(WasiGuards.EINVAL);
                        }
                        bytes += len;
                    }
                    work.bytes(bytes);
                    return inner.apply(inst, args);
                };
            }
        };
    }

    private void leaveStdio(long fd) {
        if (fd >= 0 && fd < stdio.length) {
            stdio[(int) fd] = false;
        }
    }

    /**
     * Reads, writes on files or on moved stdio streams: Chicory serves them, but only within the
     * per-call cap, charged up front by what was asked for (what Chicory allocates).
     */
    private long[] vectored(Instance inst, long[] args, WasmFunctionHandle inner) {
        Memory memory = inst.memory();
        long iovs = args[1] & U32;
        long count = args[2] & U32;
        if (count <= WasiGuards.MAX_IOVS && WasiGuards.inMemory(inst, iovs, count * 8)) {
            ByteBuffer table = WasiGuards.iovTable(memory, args);
            long total = 0;
            for (int i = 0; i < count; i++) {
                total += table.getInt(i * 8 + 4) & U32;
            }
            if (total > work.maxBytesPerCall()) {
                return WasiGuards.errno(WasiGuards.EINVAL);
            }
            work.bytes(count * 8 + total);
        }
        return inner.apply(inst, args); // WasiGuards refuses bad vectors
    }

    /**
     * fd_write on stdout or stderr: at most the per-call cap is written (a short write, which POSIX
     * allows and every libc's write loop handles), chunk by chunk.
     */
    private long[] write(Instance inst, long[] args, OutputStream out) {
        return vectored(
                inst,
                args,
                (memory, base, len) -> {
                    for (long at = 0; at < len; ) {
                        int n = (int) Math.min(CHUNK, len - at);
                        work.bytes(n);
                        out.write(memory.readBytes((int) (base + at), n), 0, n);
                        at += n;
                    }
                    return len;
                });
    }

    /** fd_read on stdin: at most the per-call cap, chunk by chunk, charged by what was read. */
    private long[] read(Instance inst, long[] args) {
        return vectored(
                inst,
                args,
                (memory, base, len) -> {
                    byte[] buf = readBuffer(len);
                    long at = 0;
                    while (at < len) {
                        int want = (int) Math.min(buf.length, len - at);
                        int n = stdin.read(buf, 0, want);
                        if (n <= 0) {
                            break;
                        }
                        work.bytes(n);
                        memory.write((int) (base + at), buf, 0, n);
                        at += n;
                        if (n < want) {
                            break; // the payload is all read
                        }
                    }
                    return at;
                });
    }

    /** A buffer for a read of up to {@code len} bytes of stdin: at most a chunk, at least 1. */
    private byte[] readBuffer(long len) throws IOException {
        int size = (int) Math.max(1, Math.min(CHUNK, Math.min(len, stdin.available())));
        if (readBuffer == null || readBuffer.length < size) {
            readBuffer = new byte[size];
        }
        return readBuffer;
    }

    /** Moves the bytes of one I/O vector; fewer than {@code len} ends the call (end of input). */
    private interface VectorIo {
        long move(Memory memory, long base, long len) throws IOException;
    }

    /**
     * What fd_read and fd_write share: the vectors are checked to lie in memory, the vector array
     * is charged, and the vectors are moved in order until the per-call cap or a short move; the
     * count written back is what was moved.
     */
    private long[] vectored(Instance inst, long[] args, VectorIo io) {
        Memory memory = inst.memory();
        int errno = WasiGuards.checkIovs(memory, args);
        if (errno != 0) {
            return WasiGuards.errno(errno);
        }
        if (!WasiGuards.inMemory(inst, args[3], 4)) {
            return WasiGuards.errno(WasiGuards.EFAULT);
        }
        int count = (int) (args[2] & U32);
        work.bytes(count * 8L); // the vector array
        ByteBuffer table = WasiGuards.iovTable(memory, args);
        long max = work.maxBytesPerCall();
        long done = 0;
        try {
            for (int i = 0; i < count && done < max; i++) {
                long base = table.getInt(i * 8) & U32;
                long len = Math.min(table.getInt(i * 8 + 4) & U32, max - done);
                long moved = io.move(memory, base, len);
                done += moved;
                if (moved < len) {
                    break;
                }
            }
        } catch (IOException e) {
            return WasiGuards.errno(EIO);
        }
        memory.writeI32((int) args[3], (int) done);
        return WasiGuards.errno(WasiGuards.ESUCCESS);
    }
}
