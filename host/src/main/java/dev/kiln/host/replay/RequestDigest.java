package dev.kiln.host.replay;

import dev.kiln.abi.Header;
import dev.kiln.abi.OutboundRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The SHA-256 an outbound request is recognised by in a journal ({@link JournalEntry.Http}): over
 * its method, URL, header fields (each length-prefixed, so no two requests share an encoding) and
 * the SHA-256 of its body.
 */
final class RequestDigest {
    private RequestDigest() {}

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    static String of(OutboundRequest request, String bodySha256) {
        MessageDigest d = digest();
        text(d, request.method());
        text(d, request.url());
        d.update(ByteBuffer.allocate(4).putInt(request.headers().size()).array());
        for (Header h : request.headers()) {
            text(d, h.name());
            text(d, h.value());
        }
        text(d, bodySha256);
        return HexFormat.of().formatHex(d.digest());
    }

    private static void text(MessageDigest d, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        d.update(ByteBuffer.allocate(4).putInt(b.length).array());
        d.update(b);
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
