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

    public static byte[] encode(List<Header> headers) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Header h : headers) {
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
