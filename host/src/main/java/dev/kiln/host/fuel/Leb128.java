package dev.kiln.host.fuel;

import java.io.ByteArrayOutputStream;

/** LEB128 as the Wasm binary format uses it. */
public final class Leb128 {
    private Leb128() {}

    /**
     * Decodes an unsigned value at {@code pos[0]}, advancing it.
     *
     * @throws IllegalArgumentException when the input ends inside the value or it is overlong
     */
    public static long readUnsigned(byte[] bytes, int[] pos) {
        long result = 0;
        int shift = 0;
        while (true) {
            if (pos[0] >= bytes.length || shift > 63) {
                throw new IllegalArgumentException("truncated or overlong LEB128");
            }
            byte b = bytes[pos[0]++];
            result |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
            shift += 7;
        }
    }

    static void writeUnsigned(ByteArrayOutputStream out, long value) {
        do {
            int b = (int) (value & 0x7f);
            value >>>= 7;
            out.write(value == 0 ? b : b | 0x80);
        } while (value != 0);
    }

    static void writeSigned(ByteArrayOutputStream out, long value) {
        boolean more = true;
        while (more) {
            int b = (int) (value & 0x7f);
            value >>= 7;
            more = !((value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0));
            out.write(more ? b | 0x80 : b);
        }
    }
}
