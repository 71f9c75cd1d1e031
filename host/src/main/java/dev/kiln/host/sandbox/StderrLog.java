package dev.kiln.host.sandbox;

import dev.kiln.abi.GuestEffects;
import dev.kiln.abi.LogLevel;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * A guest's stderr as log lines: each line (without its LF, or CR LF) becomes one {@code info} line
 * in the function's logs, under the same caps as {@code kiln.log}. Holds at most one line, itself
 * cut at the log byte cap, so a flood costs the host no memory.
 */
final class StderrLog extends OutputStream {
    private final GuestEffects effects;
    private final int maxLine;
    private final int maxLastLine;
    private byte[] line = new byte[256];
    private int size;
    private boolean pending;
    private byte[] lastLine = new byte[0];

    /**
     * @param maxLine bytes of one line kept (more is dropped, and the line then trips the log cap)
     * @param maxLastLine bytes of the last line remembered for {@link #lastLine()}
     */
    StderrLog(GuestEffects effects, int maxLine, int maxLastLine) {
        this.effects = effects;
        this.maxLine = maxLine;
        this.maxLastLine = maxLastLine;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        int end = off + len;
        int from = off;
        for (int i = off; i < end; i++) {
            if (b[i] == '\n') {
                append(b, from, i - from);
                emit();
                from = i + 1;
            }
        }
        append(b, from, end - from);
    }

    /** Adds a run of bytes without LF to the current line (a guest may send megabytes). */
    private void append(byte[] b, int off, int len) {
        if (len == 0) {
            return;
        }
        pending = true;
        int keep = Math.min(len, maxLine - Math.min(size, maxLine));
        if (keep < len) {
            // Over the cap: the rest is not kept, and the line is marked as too long.
            copy(b, off, keep);
            size = maxLine + 1;
            return;
        }
        copy(b, off, keep);
    }

    private void copy(byte[] b, int off, int len) {
        if (len == 0) {
            return;
        }
        if (size + len > line.length) {
            line = Arrays.copyOf(line, Math.min(maxLine, Math.max(size + len, line.length * 2)));
        }
        System.arraycopy(b, off, line, size, len);
        size += len;
    }

    private void emit() {
        int len = Math.min(size, maxLine);
        if (len > 0 && line[len - 1] == '\r') {
            len--;
        }
        byte[] text = Arrays.copyOf(line, len);
        if (size > maxLine) {
            // Too long to keep: pass its full length on so the byte cap truncates the log.
            text = Arrays.copyOf(text, maxLine + 1);
        }
        effects.logLine(LogLevel.INFO, text);
        if (len > 0) {
            lastLine = Arrays.copyOf(line, Math.min(len, maxLastLine));
        }
        size = 0;
        pending = false;
    }

    /** Emits a last line that did not end with LF; call once the guest has stopped. */
    void finish() {
        if (pending) {
            emit();
        }
    }

    /** The last non-empty line written, cut to {@code maxLastLine} bytes; empty if none. */
    byte[] lastLine() {
        return lastLine;
    }
}
