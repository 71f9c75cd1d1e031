package dev.kiln.abi;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The semantics of every {@code kiln} host function, independent of any Wasm runtime. A runtime
 * binding forwards each import to {@link #call} with the guest's memory and raw arguments.
 *
 * <p>One instance serves one guest instance; {@link #begin} and {@link #end} bracket each
 * invocation, so host functions bound once at instantiation see the current invocation.
 */
public final class HostCalls {
    /** Longest header name or config key a guest may look up. */
    public static final int MAX_KEY_BYTES = 4096;

    private final HostWork.FuelTank fuel;

    /** Host work outside an invocation (start function, {@code kiln_init}): fuel and deadline. */
    private final HostWork outsideWork;

    private InvocationContext context;
    private GuestEffects effects;
    private HostWork work;
    private OutboundCalls outbound;

    /**
     * Host calls whose work is not charged as fuel (the byte caps and the deadline still apply).
     */
    public HostCalls() {
        this(HostWork.UNMETERED);
    }

    /**
     * @param fuel the guest's fuel counter: every call and every byte of host work is charged to it
     *     ({@link HostWork})
     */
    public HostCalls(HostWork.FuelTank fuel) {
        this.fuel = fuel;
        this.outsideWork = new HostWork(fuel, EffectLimits.DEFAULTS);
    }

    /** Starts serving an invocation; returns the effects collector the guest will fill. */
    public GuestEffects begin(InvocationContext context, EffectLimits limits) {
        this.context = context;
        this.effects = new GuestEffects(limits);
        this.work = new HostWork(fuel, limits);
        this.outbound = null;
        return effects;
    }

    /**
     * Starts serving an invocation whose host work and effects are already metered elsewhere (a
     * wasi-cgi run, whose WASI calls share them with these).
     */
    public void begin(InvocationContext context, GuestEffects effects, HostWork work) {
        this.context = context;
        this.effects = effects;
        this.work = work;
        this.outbound = null;
    }

    public void end() {
        this.context = null;
        this.effects = null;
        this.work = null;
        this.outbound = null;
    }

    /**
     * Runs one host call. Returns the Wasm result (i32 results widened to long), or 0 for none.
     *
     * @throws AbiViolationException when the guest passed a range outside its memory
     * @throws HostCallLimitException when the guest exceeded its host-call budget
     * @throws HostFuelExhaustedException when the call's cost took the fuel below zero
     * @throws HostWorkLimitException when the invocation's host bytes passed their cap
     * @throws HostDeadlineException when the invocation's deadline has passed
     */
    public long call(HostCall call, GuestMemory memory, long[] args) {
        if (context == null) {
            // The start function and kiln_init run outside an invocation: no context.
            outsideWork.enterCall();
            checkOutputBuffer(call, memory, args);
            return callOutsideInvocation(call, memory, args);
        }
        HostWork w = work;
        w.enterCall();
        checkOutputBuffer(call, memory, args);
        effects.countHostCall();
        return switch (call) {
            case CONTEXT_GET -> {
                ContextField field = ContextField.byId(args[0]);
                yield field == null
                        ? AbiV1.ERR_INVALID
                        : copyOut(w, memory, contextValue(field), args[1], args[2]);
            }
            case DEADLINE_MS -> context.deadlineEpochMillis();
            case REQUEST_GET -> {
                RequestField field = RequestField.byId(args[0]);
                if (field == null) {
                    yield AbiV1.ERR_INVALID;
                }
                HttpRequestMeta http = context.http();
                yield http == null
                        ? AbiV1.ERR_NOT_FOUND
                        : copyOut(w, memory, requestValue(http, field), args[1], args[2]);
            }
            case REQUEST_HEADER -> {
                memory.checkRange(args[0], args[1], "request_header name");
                if ((args[1] & 0xFFFF_FFFFL) > MAX_KEY_BYTES) {
                    yield AbiV1.ERR_INVALID;
                }
                w.bytes(args[1] & 0xFFFF_FFFFL);
                yield requestHeader(
                        w, memory, readString(memory, args[0], args[1]), args[2], args[3], args[4]);
            }
            case REQUEST_HEADERS -> {
                HttpRequestMeta http = context.http();
                // Encoding costs the host as much as copying: charged whether or not it fits.
                yield http == null
                        ? AbiV1.ERR_NOT_FOUND
                        : copyOut(w, memory, HeaderCodec.encode(http.headers()), args[0], args[1]);
            }
            case RESPONSE_SET_STATUS -> effects.setStatus(args[0]);
            case RESPONSE_HEADER_SET, RESPONSE_HEADER_ADD -> {
                memory.checkRange(args[0], args[1], "response header name");
                memory.checkRange(args[2], args[3], "response header value");
                if ((args[1] & 0xFFFF_FFFFL) + (args[3] & 0xFFFF_FFFFL)
                        > effects.maxHeaderBytes()) {
                    yield AbiV1.ERR_INVALID;
                }
                w.bytes((args[1] & 0xFFFF_FFFFL) + (args[3] & 0xFFFF_FFFFL));
                yield effects.putHeader(
                        memory.read((int) args[0], (int) args[1]),
                        memory.read((int) args[2], (int) args[3]),
                        call == HostCall.RESPONSE_HEADER_SET);
            }
            case LOG -> {
                memory.checkRange(args[1], args[2], "log message");
                // Read no more than could be kept: a guest must not make the host copy 1 GiB.
                int keep = (int) Math.min(args[2] & 0xFFFF_FFFFL, effects.maxLogBytes() + 1L);
                w.bytes(keep);
                yield effects.log(args[0], memory.read((int) args[1], keep));
            }
            case CONFIG_GET -> {
                memory.checkRange(args[0], args[1], "config_get key");
                if ((args[1] & 0xFFFF_FFFFL) > MAX_KEY_BYTES) {
                    yield AbiV1.ERR_INVALID;
                }
                w.bytes(args[1] & 0xFFFF_FFFFL);
                String value =
                        context.inputs()
                                .config(readString(memory, args[0], args[1]), context.config());
                yield value == null
                        ? AbiV1.ERR_NOT_FOUND
                        : copyOut(
                                w,
                                memory,
                                value.getBytes(StandardCharsets.UTF_8),
                                args[2],
                                args[3]);
            }
            case CLOCK_UNIX_NS, CLOCK_MONOTONIC_NS -> context.inputs().clock(call);
            case RANDOM_FILL ->
                    randomFill(
                            context.inputs(),
                            w,
                            memory,
                            args[0],
                            args[1],
                            effects.maxRandomBytes());
            case FAIL -> {
                memory.checkRange(args[0], args[1], "fail message");
                // A few bytes past the cap let fail() see where the last whole character ends.
                int keep =
                        (int) Math.min(args[1] & 0xFFFF_FFFFL, effects.maxFailMessageBytes() + 4L);
                w.bytes(keep);
                effects.fail(memory.read((int) args[0], keep));
                yield AbiV1.OK;
            }
            case KV_GET, KV_SET, KV_DELETE, KV_LIST, KV_INCREMENT, KV_COMPARE_AND_SWAP ->
                    KvCalls.call(call, w, memory, args, context.kv());
            case HTTP_SEND, HTTP_RESPONSE_STATUS, HTTP_RESPONSE_HEADERS, HTTP_RESPONSE_BODY ->
                    outbound().call(call, w, memory, args);
        };
    }

    /** This invocation's outbound calls, made on the first one (most invocations make none). */
    private OutboundCalls outbound() {
        if (outbound == null) {
            outbound = new OutboundCalls(context.outbound(), effects);
        }
        return outbound;
    }

    /**
     * Every call that fills a caller buffer checks it first, so a bad buffer is an ABI violation
     * whether or not the value exists.
     */
    private static void checkOutputBuffer(HostCall call, GuestMemory memory, long[] args) {
        int at =
                switch (call) {
                    case CONTEXT_GET, REQUEST_GET -> 1;
                    case REQUEST_HEADER -> 3;
                    case REQUEST_HEADERS -> 0;
                    case CONFIG_GET, KV_GET -> 2;
                    case KV_LIST -> 4;
                    case HTTP_RESPONSE_HEADERS, HTTP_RESPONSE_BODY -> 1;
                    default -> -1;
                };
        if (at >= 0) {
            memory.checkRange(args[at], args[at + 1], "output buffer");
        }
    }

    private long callOutsideInvocation(HostCall call, GuestMemory memory, long[] args) {
        return switch (call) {
            // Outside an invocation nothing is recorded (kiln_init's draws are in the snapshot).
            case CLOCK_UNIX_NS, CLOCK_MONOTONIC_NS -> HostInputs.LIVE.clock(call);
            case RANDOM_FILL ->
                    randomFill(
                            HostInputs.LIVE,
                            outsideWork,
                            memory,
                            args[0],
                            args[1],
                            EffectLimits.DEFAULTS.maxRandomBytes());
            case LOG, FAIL, RESPONSE_SET_STATUS, RESPONSE_HEADER_SET, RESPONSE_HEADER_ADD ->
                    AbiV1.ERR_INVALID;
            case DEADLINE_MS -> 0L;
            // No invocation, no service: the store is out of reach (and kiln_init's state is
            // shared by every instance, so it must not depend on stored data).
            case KV_GET, KV_SET, KV_DELETE, KV_LIST, KV_INCREMENT, KV_COMPARE_AND_SWAP ->
                    AbiV1.ERR_UNAVAILABLE;
            // No invocation, no allow list to check and no deadline to bound the call.
            case HTTP_SEND, HTTP_RESPONSE_STATUS, HTTP_RESPONSE_HEADERS, HTTP_RESPONSE_BODY ->
                    AbiV1.ERR_UNAVAILABLE;
            default -> AbiV1.ERR_NOT_FOUND;
        };
    }

    private static long randomFill(
            HostInputs inputs, HostWork w, GuestMemory memory, long ptr, long len, int max) {
        memory.checkRange(ptr, len, "random_fill buffer");
        long l = len & 0xFFFF_FFFFL;
        if (l > max) {
            return AbiV1.ERR_INVALID;
        }
        w.random(l);
        byte[] bytes = new byte[(int) l];
        inputs.random(bytes);
        memory.write((int) ptr, bytes, 0, bytes.length);
        return AbiV1.OK;
    }

    private long requestHeader(
            HostWork w, GuestMemory memory, String name, long index, long buf, long cap) {
        HttpRequestMeta http = context.http();
        if (http == null || index < 0) {
            return AbiV1.ERR_NOT_FOUND;
        }
        String lower = asciiLower(name);
        long seen = 0;
        List<Header> headers = http.headers();
        for (Header h : headers) {
            if (h.name().equals(lower) && seen++ == index) {
                return copyOut(w, memory, h.value().getBytes(StandardCharsets.UTF_8), buf, cap);
            }
        }
        return AbiV1.ERR_NOT_FOUND;
    }

    /** Lower-cases ASCII letters only: request header names are ASCII tokens. */
    private static String asciiLower(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
        }
        return b.toString();
    }

    private byte[] contextValue(ContextField field) {
        String v =
                switch (field) {
                    case REQUEST_ID -> context.requestId();
                    case SERVICE -> context.service();
                    case FUNCTION -> context.function();
                    case VERSION -> context.version();
                    case TRIGGER -> context.trigger();
                };
        return v.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] requestValue(HttpRequestMeta http, RequestField field) {
        String v =
                switch (field) {
                    case METHOD -> http.method();
                    case PATH -> http.path();
                    case QUERY -> http.query();
                };
        return v.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The buffer convention: the full length is always returned; the value is written only when it
     * fits in {@code cap} bytes. The buffer is bounds-checked even when nothing is written, so a
     * bad pointer is caught on the first call, not the second. The value's bytes are host work
     * whether or not they fit: the host produced them either way.
     */
    static long copyOut(HostWork w, GuestMemory memory, byte[] value, long buf, long cap) {
        w.bytes(value.length);
        return copyOut(memory, value, buf, cap);
    }

    /** {@link #copyOut(HostWork, GuestMemory, byte[], long, long)} without charging. */
    static long copyOut(GuestMemory memory, byte[] value, long buf, long cap) {
        memory.checkRange(buf, cap, "output buffer");
        if (value.length <= (cap & 0xFFFF_FFFFL)) {
            memory.write((int) buf, value, 0, value.length);
        }
        return value.length;
    }

    /** Reads a range the caller has already bounds-checked. */
    private static String readString(GuestMemory memory, long ptr, long len) {
        return new String(memory.read((int) ptr, (int) len), StandardCharsets.UTF_8);
    }
}
