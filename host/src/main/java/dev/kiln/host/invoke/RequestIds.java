package dev.kiln.host.invoke;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids: 26 characters of Crockford base32, 48 bits of milliseconds then 80 random bits (the
 * ULID layout), so ids sort by time and never need coordination. Within one host they are monotonic
 * (as ULID's monotonic variant): an id made in the same millisecond as the last one, or while the
 * clock stepped back, is the last one plus one, so ids made one after another sort in that order
 * even when they share a millisecond (records and recordings list by time, then id).
 */
public final class RequestIds {
    private static final byte[] ALPHABET =
            "0123456789ABCDEFGHJKMNPQRSTVWXYZ".getBytes(StandardCharsets.US_ASCII);
    private static final long FORTY_BITS = (1L << 40) - 1;

    private static long lastMillis = -1;
    private static long lastHigh;
    private static long lastLow;

    private RequestIds() {}

    public static String next() {
        long now = System.currentTimeMillis();
        long millis;
        long high;
        long low;
        synchronized (RequestIds.class) {
            if (now > lastMillis) {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                lastMillis = now;
                lastHigh = random.nextLong() & FORTY_BITS;
                // Room to count up before the high half has to carry.
                lastLow = random.nextLong() & (FORTY_BITS >>> 1);
            } else if (++lastLow > FORTY_BITS) {
                lastLow = 0;
                lastHigh = (lastHigh + 1) & FORTY_BITS;
            }
            millis = lastMillis;
            high = lastHigh;
            low = lastLow;
        }
        return format(millis, high, low);
    }

    /** Most significant character first, so the strings sort as the numbers do. */
    static String format(long millis, long high, long low) {
        // Bytes, not chars: the string keeps Latin-1 bytes, so it is made by one copy and no
        // compression pass (an id per request).
        byte[] out = new byte[26];
        long time = millis;
        for (int i = 9; i >= 0; i--) {
            out[i] = ALPHABET[(int) (time & 31)];
            time >>>= 5;
        }
        for (int i = 0; i < 8; i++) {
            out[10 + i] = ALPHABET[(int) ((high >>> (35 - 5 * i)) & 31)];
            out[18 + i] = ALPHABET[(int) ((low >>> (35 - 5 * i)) & 31)];
        }
        return new String(out, StandardCharsets.ISO_8859_1);
    }
}
