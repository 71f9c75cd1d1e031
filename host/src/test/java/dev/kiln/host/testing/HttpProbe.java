package dev.kiln.host.testing;

import dev.kiln.abi.Header;
import dev.kiln.abi.HeaderCodec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Payloads for the {@code http_probe.wat} fixture, which sends what its payload describes. */
public final class HttpProbe {
    private HttpProbe() {}

    /** One {@code GET url} without headers or body. */
    public static byte[] get(String url) {
        byte[] m = "GET".getBytes(StandardCharsets.UTF_8);
        byte[] u = url.getBytes(StandardCharsets.UTF_8);
        byte[] h = HeaderCodec.encode(List.<Header>of());
        return ByteBuffer.allocate(20 + m.length + u.length + h.length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(1)
                .putInt(m.length)
                .putInt(u.length)
                .putInt(h.length)
                .putInt(0)
                .put(m)
                .put(u)
                .put(h)
                .array();
    }

    /** The status of the last response the probe got (its result's third i32). */
    public static int status(byte[] result) {
        return ByteBuffer.wrap(result).order(ByteOrder.LITTLE_ENDIAN).getInt(8);
    }
}
