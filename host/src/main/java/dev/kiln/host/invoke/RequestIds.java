package dev.kiln.host.invoke;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids: 26 characters of Crockford base32, 48 bits of milliseconds then 80 random bits (the
 * ULID layout), so ids sort by time and never need coordination.
 */
public final class RequestIds {
    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();

    private RequestIds() {}

    public static String next() {
        return format(System.currentTimeMillis(), ThreadLocalRandom.current());
    }

    static String format(long millis, ThreadLocalRandom random) {
        char[] out = new char[26];
        long time = millis;
        for (int i = 9; i >= 0; i--) {
            out[i] = ALPHABET[(int) (time & 31)];
            time >>>= 5;
        }
        long hi = random.nextLong();
        long lo = random.nextLong();
        for (int i = 10; i < 26; i++) {
            long src = i < 18 ? hi : lo;
            out[i] = ALPHABET[(int) ((src >>> ((i % 8) * 5)) & 31)];
        }
        return new String(out);
    }
}
