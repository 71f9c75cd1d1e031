package dev.kiln.cli;

import dev.kiln.client.UploadProgress;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress of long work on stderr: on a terminal one line rewritten in place, elsewhere (a log, a
 * test) one line per quarter, so piped output stays short.
 */
final class ProgressLine implements UploadProgress {
    private final PrintWriter err;
    private final String what;
    private final boolean terminal;
    private int lastQuarter = -1;

    ProgressLine(PrintWriter err, String what) {
        this(err, what, onTerminal());
    }

    ProgressLine(PrintWriter err, String what, boolean terminal) {
        this.err = err;
        this.what = what;
        this.terminal = terminal;
    }

    static boolean onTerminal() {
        return dev.kiln.host.cli.LogFormat.onTerminal();
    }

    @Override
    public synchronized void sent(long sentBytes, long totalBytes) {
        int percent = totalBytes == 0 ? 100 : (int) (sentBytes * 100 / totalBytes);
        String line =
                String.format(
                        Locale.ROOT,
                        "%s: %3d%% (%s of %s)",
                        what,
                        percent,
                        size(sentBytes),
                        size(totalBytes));
        if (terminal) {
            err.print("\r" + line + (sentBytes >= totalBytes ? "\n" : ""));
        } else {
            int quarter = percent / 25;
            if (quarter == lastQuarter) {
                return;
            }
            lastQuarter = quarter;
            err.println(line);
        }
        err.flush();
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }
}
