package dev.kiln.guest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.teavm.interop.Address;
import org.teavm.interop.Import;

/**
 * The WASI calls the runtime makes itself. TeaVM's WASI class library writes System.out and
 * System.err but wires neither stdin nor the environment, and its System.exit does not end a
 * command with a code. Every buffer handed to the host is a Java array's data: no allocation
 * happens between taking its address and the call, so TeaVM's GC cannot move it meanwhile.
 */
final class Wasi {
    static final int STDIN = 0;
    static final int STDOUT = 1;
    static final int STDERR = 2;

    private Wasi() {}

    @Import(module = "wasi_snapshot_preview1", name = "fd_read")
    private static native int fdRead(int fd, Address iovs, int iovsLen, Address nread);

    @Import(module = "wasi_snapshot_preview1", name = "fd_write")
    private static native int fdWrite(int fd, Address iovs, int iovsLen, Address nwritten);

    @Import(module = "wasi_snapshot_preview1", name = "environ_sizes_get")
    private static native int environSizesGet(Address count, Address bufSize);

    @Import(module = "wasi_snapshot_preview1", name = "environ_get")
    private static native int environGet(Address pointers, Address buf);

    @Import(module = "wasi_snapshot_preview1", name = "proc_exit")
    static native void procExit(int code);

    /** All of {@code fd} up to EOF (stdin: the event or the HTTP body). */
    static byte[] readAll(int fd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[16384];
        int[] iov = new int[2];
        int[] count = new int[1];
        while (true) {
            iov[0] = Address.ofData(chunk).toInt();
            iov[1] = chunk.length;
            int errno = fdRead(fd, Address.ofData(iov), 1, Address.ofData(count));
            if (errno != 0) {
                throw new IllegalStateException("fd_read failed with errno " + errno);
            }
            if (count[0] == 0) {
                return out.toByteArray();
            }
            out.write(chunk, 0, count[0]);
        }
    }

    /** Writes all of {@code bytes[offset, offset + length)} to {@code fd}. */
    static void write(int fd, byte[] bytes, int offset, int length) {
        int[] iov = new int[2];
        int[] count = new int[1];
        while (length > 0) {
            iov[0] = Address.ofData(bytes).toInt() + offset;
            iov[1] = length;
            int errno = fdWrite(fd, Address.ofData(iov), 1, Address.ofData(count));
            if (errno != 0) {
                // stdout past the host's result cap ends the invocation before this returns;
                // anything else is a host that refused the stream.
                throw new IllegalStateException("fd_write failed with errno " + errno);
            }
            offset += count[0];
            length -= count[0];
        }
    }

    /** The environment as NAME=value strings. */
    static String[] environment() {
        int[] count = new int[1];
        int[] size = new int[1];
        if (environSizesGet(Address.ofData(count), Address.ofData(size)) != 0) {
            return new String[0];
        }
        int[] pointers = new int[count[0]];
        byte[] buf = new byte[Math.max(size[0], 1)];
        if (count[0] == 0) {
            return new String[0];
        }
        if (environGet(Address.ofData(pointers), Address.ofData(buf)) != 0) {
            return new String[0];
        }
        int base = Address.ofData(buf).toInt();
        String[] vars = new String[count[0]];
        for (int i = 0; i < vars.length; i++) {
            int start = pointers[i] - base;
            int end = start;
            while (end < buf.length && buf[end] != 0) {
                end++;
            }
            vars[i] = new String(buf, start, end - start, StandardCharsets.UTF_8);
        }
        return vars;
    }
}
