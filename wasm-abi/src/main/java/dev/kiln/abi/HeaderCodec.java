package dev.kiln.abi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The header-list encoding of {@code kiln.request_headers}: each header as {@code name NUL value
 * NUL}, in order. NUL cannot occur in an HTTP field, so the encoding is unambiguous.
 */
public final class HeaderCodec {
    private HeaderCodec() {}

    /**
     * Encodes headers in the ABI's header block format.
     *
     * @throws IllegalArgumentException when a name or value holds NUL (HTTP forbids it)
     */
    public static byte[] encode(List<Header> headers) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Header h : headers) {
            if (h.name().indexOf('\0') >= 0 || h.value().indexOf('\0') >= 0) {
                throw new IllegalArgumentException("header " + h.name() + " contains NUL");
            }
            out.writeBytes(h.name().getBytes(StandardCharsets.UTF_8));
            out.write(0);
            out.writeBytes(h.value().getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    /** Decodes what {@link #encode} produced; rejects input that does not end a pair with NUL. */
    public static List<Header> decode(byte[] bytes) {
        List<Header> headers = new ArrayList<>();
        int start = 0;
        String name = null;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != 0) {
                continue;
            }
            String field = new String(bytes, start, i - start, StandardCharsets.UTF_8);
            if (name == null) {
                name = field;
            } else {
                headers.add(new Header(name, field));
                name = null;
            }
            start = i + 1;
        }
        if (name != null || start != bytes.length) {
            throw new IllegalArgumentException("truncated header list");
        }
        return headers;
    }
}
