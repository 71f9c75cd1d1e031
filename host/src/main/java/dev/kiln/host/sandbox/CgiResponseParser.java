package dev.kiln.host.sandbox;

import dev.kiln.abi.EffectLimits;
import dev.kiln.abi.GuestEffects;
import dev.kiln.abi.Header;
import dev.kiln.host.core.InvocationOutcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Reads a CGI response (RFC 3875 section 6) from a program's stdout: header lines, a blank line,
 * the body. Output that does not start with such a block is a plain body with status 200.
 */
final class CgiResponseParser {
    private CgiResponseParser() {}

    /**
     * Turns a CGI program's stdout into an outcome.
     *
     * @return {@code Ok} with status, headers and body, or {@code AbiViolation} when a header block
     *     is present but breaks a rule (a bad {@code Status}, too many or too long fields)
     */
    static InvocationOutcome parse(byte[] out, EffectLimits limits) {
        int bodyStart = headerBlockEnd(out);
        if (bodyStart < 0) {
            return new InvocationOutcome.Ok(200, List.of(), out);
        }
        int status = 0;
        boolean location = false;
        List<Header> headers = new ArrayList<>();
        int pos = 0;
        while (true) {
            int nl = indexOf(out, (byte) '\n', pos);
            int end = lineEnd(out, pos, nl);
            if (end == pos) {
                break; // the blank line
            }
            if (end - pos > limits.maxHeaderBytes()) {
                return violation(
                        "a CGI header line is longer than " + limits.maxHeaderBytes() + " bytes");
            }
            String text = new String(out, pos, end - pos, StandardCharsets.UTF_8);
            pos = nl + 1;
            int colon = text.indexOf(':');
            String name = text.substring(0, colon).toLowerCase(Locale.ROOT);
            String value = text.substring(colon + 1).strip();
            if (name.equals("status")) {
                status = parseStatus(value);
                if (status < 0) {
                    return violation(
                            "CGI Status must start with a code from 200 to 599, not '"
                                    + printable(value)
                                    + "'");
                }
                continue;
            }
            if (GuestEffects.isReserved(name)) {
                continue; // framing is the host's job, as for response_header_set
            }
            if (headers.size() >= limits.maxResponseHeaders()) {
                return violation(
                        "the CGI header block has more than "
                                + limits.maxResponseHeaders()
                                + " fields");
            }
            location |= name.equals("location");
            headers.add(new Header(name, value));
        }
        if (status == 0) {
            status = location ? 302 : 200;
        }
        return new InvocationOutcome.Ok(
                status, headers, Arrays.copyOfRange(out, bodyStart, out.length));
    }

    /**
     * Where the body starts if {@code out} opens with at least one header line and then a blank
     * line; -1 when it does not (no blank line, or a line that is not a header first).
     */
    private static int headerBlockEnd(byte[] out) {
        int pos = 0;
        boolean any = false;
        while (pos < out.length) {
            int nl = indexOf(out, (byte) '\n', pos);
            if (nl < 0) {
                return -1;
            }
            int end = lineEnd(out, pos, nl);
            if (end == pos) {
                return any ? nl + 1 : -1;
            }
            if (!isHeaderLine(out, pos, end)) {
                return -1;
            }
            any = true;
            pos = nl + 1;
        }
        return -1;
    }

    /** End of the line ending at the LF at {@code nl}, without a CR before it. */
    private static int lineEnd(byte[] out, int start, int nl) {
        return nl > start && out[nl - 1] == '\r' ? nl - 1 : nl;
    }

    /** {@code NNN} or {@code NNN reason}; -1 if malformed or outside 200..599. */
    private static int parseStatus(String value) {
        if (value.length() < 3 || (value.length() > 3 && value.charAt(3) != ' ')) {
            return -1;
        }
        int code = 0;
        for (int i = 0; i < 3; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            code = code * 10 + (c - '0');
        }
        return code >= 200 && code <= 599 ? code : -1;
    }

    /** {@code token ":" value}, value free of control characters other than tab. */
    private static boolean isHeaderLine(byte[] b, int start, int end) {
        int i = start;
        while (i < end && isTokenChar(b[i])) {
            i++;
        }
        if (i == start || i == end || b[i] != ':') {
            return false;
        }
        for (i++; i < end; i++) {
            int c = b[i] & 0xFF;
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                return false;
            }
        }
        return true;
    }

    private static boolean isTokenChar(byte b) {
        return (b >= 'a' && b <= 'z')
                || (b >= 'A' && b <= 'Z')
                || (b >= '0' && b <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
    }

    private static int indexOf(byte[] b, byte x, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        return -1;
    }

    private static InvocationOutcome violation(String message) {
        return new InvocationOutcome.AbiViolation(message);
    }

    private static String printable(String s) {
        String t = s.replaceAll("[^\\x20-\\x7e]", "?");
        return t.length() > 40 ? t.substring(0, 40) + "..." : t;
    }
}
