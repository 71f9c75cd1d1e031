package dev.kiln.loadgen;

import java.time.Duration;
import java.util.Locale;

/** Parses the short durations people type: {@code 10s}, {@code 500ms}, {@code 2m}, {@code 1.5s}. */
public final class Durations {
    private Durations() {}

    /**
     * Parses a duration such as {@code 30s}.
     *
     * @param text a number followed by {@code ms}, {@code s}, {@code m} or {@code h}; a bare number
     *     means seconds
     * @throws IllegalArgumentException for anything else, or a negative duration
     */
    public static Duration parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        double scale;
        String number;
        if (t.endsWith("ms")) {
            scale = 1e6;
            number = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            scale = 1e9;
            number = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            scale = 60e9;
            number = t.substring(0, t.length() - 1);
        } else if (t.endsWith("h")) {
            scale = 3600e9;
            number = t.substring(0, t.length() - 1);
        } else {
            scale = 1e9;
            number = t;
        }
        double value;
        try {
            value = Double.parseDouble(number.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "not a duration: '" + text + "' (try 10s, 500ms, 2m)", e);
        }
        if (!(value >= 0) || value * scale > Long.MAX_VALUE) {
            throw new IllegalArgumentException("not a usable duration: '" + text + "'");
        }
        return Duration.ofNanos(Math.round(value * scale));
    }
}
