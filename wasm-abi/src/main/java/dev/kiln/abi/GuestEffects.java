package dev.kiln.abi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a guest asked the host to do during one invocation: response status and headers, log lines,
 * a reported failure. Not thread-safe: one invocation runs on one thread.
 */
public final class GuestEffects {
    /** Appended (as its own line) once log lines or bytes were dropped. */
    public static final String LOG_TRUNCATED_MARKER = "[kiln: log truncated]";

    private static final Set<String> RESERVED_HEADERS =
            Set.of("content-length", "transfer-encoding", "connection", "keep-alive", "upgrade");

    private final EffectLimits limits;
    private int status = 200;
    private final List<Header> responseHeaders = new ArrayList<>();
    private final List<GuestLogLine> logs = new ArrayList<>();
    private int logBytes;
    private boolean logTruncated;
    private String failure;
    private long hostCalls;

    public GuestEffects(EffectLimits limits) {
        this.limits = limits;
    }

    public int status() {
        return status;
    }

    public List<Header> responseHeaders() {
        return List.copyOf(responseHeaders);
    }

    public List<GuestLogLine> logs() {
        return List.copyOf(logs);
    }

    public boolean logTruncated() {
        return logTruncated;
    }

    /** The message a guest passed to {@code kiln.fail}, or {@code null}. */
    public String failure() {
        return failure;
    }

    public long hostCalls() {
        return hostCalls;
    }

    int maxHeaderBytes() {
        return limits.maxHeaderBytes();
    }

    int maxLogBytes() {
        return limits.maxLogBytes();
    }

    int maxFailMessageBytes() {
        return limits.maxFailMessageBytes();
    }

    int maxRandomBytes() {
        return limits.maxRandomBytes();
    }

    void countHostCall() {
        if (++hostCalls > limits.maxHostCalls()) {
            throw new HostCallLimitException(limits.maxHostCalls());
        }
    }

    int setStatus(long code) {
        if (code < 200 || code > 599) {
            return AbiV1.ERR_INVALID;
        }
        status = (int) code;
        return AbiV1.OK;
    }

    int putHeader(byte[] nameBytes, byte[] valueBytes, boolean replace) {
        if (nameBytes.length + valueBytes.length > limits.maxHeaderBytes()) {
            return AbiV1.ERR_INVALID;
        }
        String raw = new String(nameBytes, StandardCharsets.UTF_8);
        String value = new String(valueBytes, StandardCharsets.UTF_8);
        // Validate before case-folding: Unicode lower-casing maps some non-ASCII letters (the
        // Kelvin sign) to ASCII ones, which would smuggle a non-token name through.
        if (!isToken(raw) || !isFieldValue(value)) {
            return AbiV1.ERR_INVALID;
        }
        String name = raw.toLowerCase(Locale.ROOT);
        if (isReserved(name)) {
            return AbiV1.ERR_INVALID;
        }
        if (replace) {
            responseHeaders.removeIf(h -> h.name().equals(name));
        }
        if (responseHeaders.size() >= limits.maxResponseHeaders()) {
            return AbiV1.ERR_INVALID;
        }
        responseHeaders.add(new Header(name, value));
        return AbiV1.OK;
    }

    int log(long level, byte[] message) {
        LogLevel lvl = LogLevel.byId(level);
        if (lvl == null) {
            return AbiV1.ERR_INVALID;
        }
        logLine(lvl, message);
        return AbiV1.OK;
    }

    /**
     * Keeps one log line, under the same caps as {@code kiln.log}: the first line over the line or
     * byte cap becomes {@link #LOG_TRUNCATED_MARKER} and later lines are dropped. For runtimes
     * whose guests log some other way (the wasi-cgi ABI's stderr).
     */
    public void logLine(LogLevel lvl, byte[] message) {
        if (logTruncated) {
            return;
        }
        if (logs.size() >= limits.maxLogLines()
                || logBytes + message.length > limits.maxLogBytes()) {
            logTruncated = true;
            logs.add(
                    new GuestLogLine(
                            System.currentTimeMillis(), LogLevel.WARN, LOG_TRUNCATED_MARKER));
            return;
        }
        logBytes += message.length;
        logs.add(
                new GuestLogLine(
                        System.currentTimeMillis(),
                        lvl,
                        new String(message, StandardCharsets.UTF_8)));
    }

    void fail(byte[] message) {
        int len = Math.min(message.length, limits.maxFailMessageBytes());
        // Cut on a character boundary: never leave half a UTF-8 sequence at the end.
        if (len < message.length) {
            while (len > 0 && (message[len] & 0xC0) == 0x80) {
                len--;
            }
        }
        failure = new String(message, 0, len, StandardCharsets.UTF_8);
    }

    /**
     * Whether a guest may not set this response header (framing and connection headers, and the
     * host's own {@code x-kiln-*}).
     *
     * @param lowerName the header name in lower case
     */
    public static boolean isReserved(String lowerName) {
        return lowerName.startsWith("x-kiln-") || RESERVED_HEADERS.contains(lowerName);
    }

    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok =
                    (c >= 'a' && c <= 'z')
                            || (c >= 'A' && c <= 'Z')
                            || (c >= '0' && c <= '9')
                            || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    static boolean isFieldValue(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n' || c == 0 || (c < 0x20 && c != '\t') || c == 0x7f) {
                return false;
            }
        }
        return true;
    }
}
