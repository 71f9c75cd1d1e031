package dev.kiln.host.observability;

import java.util.Objects;

/**
 * A W3C Trace Context position (docs/adr/0047): the trace, the span a next hop is a child of,
 * whether the trace is sampled, and the vendors' trace state, passed on unchanged.
 *
 * @param traceId 32 lower-case hex digits, not all zero
 * @param spanId 16 lower-case hex digits, not all zero: the parent of whatever comes next
 * @param sampled the {@code sampled} trace flag
 * @param traceState the trace state header as received, or {@code null}
 */
public record TraceContext(String traceId, String spanId, boolean sampled, String traceState) {
    /** The longest {@code tracestate} passed on; W3C asks for at least 512 characters. */
    static final int MAX_TRACE_STATE = 512;

    public TraceContext {
        if (!isHex(traceId, 32) || !isHex(spanId, 16)) {
            throw new IllegalArgumentException("not a W3C trace or span id");
        }
    }

    /**
     * The position a {@code traceparent} header names, with {@code stateHeader}; {@code null} when
     * the header is absent or malformed (a malformed one is ignored and a new trace starts, as W3C
     * Trace Context says). A {@code tracestate} that is too long or has characters outside
     * printable ASCII is dropped; the trace continues without it.
     */
    public static TraceContext parse(String traceparent, String stateHeader) {
        if (traceparent == null) {
            return null; // the common case, and the one tracing-off must keep free
        }
        // version "-" trace-id "-" parent-id "-" flags; version 00 is exactly 55 characters, a
        // later version at least that with "-" after the flags (W3C: parse what 00 defines).
        int n = traceparent.length();
        if (n < 55 || traceparent.charAt(2) != '-' || traceparent.charAt(35) != '-') {
            return null;
        }
        if (traceparent.charAt(52) != '-') {
            return null;
        }
        String version = traceparent.substring(0, 2);
        if (!isHex(version, 2) || version.equals("ff") || (version.equals("00") && n != 55)) {
            return null;
        }
        if (n > 55 && traceparent.charAt(55) != '-') {
            return null;
        }
        String traceId = traceparent.substring(3, 35);
        String spanId = traceparent.substring(36, 52);
        String flags = traceparent.substring(53, 55);
        if (!isHex(traceId, 32) || !isHex(spanId, 16) || !isHex(flags, 2)) {
            return null;
        }
        boolean sampled = (Integer.parseInt(flags, 16) & 1) == 1;
        return new TraceContext(traceId, spanId, sampled, cleanState(stateHeader));
    }

    /** This position with {@code spanId} as the parent of what comes next. */
    public TraceContext withSpan(String spanId) {
        return new TraceContext(traceId, spanId, sampled, traceState);
    }

    /** The {@code traceparent} header naming this position (version 00). */
    public String traceparent() {
        return "00-" + traceId + "-" + spanId + (sampled ? "-01" : "-00");
    }

    private static String cleanState(String header) {
        if (header == null || header.isEmpty() || header.length() > MAX_TRACE_STATE) {
            return null;
        }
        for (int i = 0; i < header.length(); i++) {
            char c = header.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return null;
            }
        }
        return header;
    }

    /** {@code length} lower-case hex digits, not all zero (W3C: all-zero ids are invalid). */
    static boolean isHex(String s, int length) {
        Objects.requireNonNull(s, "id");
        if (s.length() != length) {
            return false;
        }
        boolean nonZero = length == 2; // versions and flags may be 00
        for (int i = 0; i < length; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
            nonZero |= c != '0';
        }
        return nonZero;
    }
}
