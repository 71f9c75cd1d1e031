package dev.kiln.host.sandbox;

import java.io.OutputStream;
import java.util.Arrays;

/**
 * A guest's stdout, kept in memory up to a cap. The write that would pass the cap throws {@link
 * Exceeded}, which ends the guest at once instead of letting it write on into the void.
 */
final class CappedOutput extends OutputStream {
    /**
     * Thrown out of the guest's {@code fd_write}; not an IOException, so WASI cannot swallow it.
     */
    static final class Exceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Exceeded() {
            super("stdout cap exceeded", null, false, false);
        }
    }

    private final int cap;
    // Small at first: most answers are a CGI head and a short body; growth doubles.
    private byte[] buf = new byte[256];
    private int size;

    CappedOutput(int cap) {
        this.cap = cap;
    }

    int cap() {
        return cap;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        if (len > cap - size) {
            throw new Exceeded();
        }
        if (size + len > buf.length) {
            buf =
                    Arrays.copyOf(
                            buf, (int) Math.min(cap, Math.max(size + (long) len, buf.length * 2L)));
        }
        System.arraycopy(b, off, buf, size, len);
        size += len;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }
}
