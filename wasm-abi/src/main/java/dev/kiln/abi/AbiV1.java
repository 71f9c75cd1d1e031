package dev.kiln.abi;

/**
 * Names and numbers of Kiln's ABI v1. {@code wasm-abi/ABI.md} is the specification; this class must
 * agree with it.
 */
public final class AbiV1 {
    private AbiV1() {}

    /** The ABI version this host implements; a guest may export {@link #EXPORT_ABI_VERSION}. */
    public static final int VERSION = 1;

    /** The only import module a kiln-ABI guest may use. */
    public static final String IMPORT_MODULE = "kiln";

    public static final String EXPORT_MEMORY = "memory";
    public static final String EXPORT_ALLOC = "kiln_alloc";
    public static final String EXPORT_HANDLE = "kiln_handle";
    public static final String EXPORT_INIT = "kiln_init";
    public static final String EXPORT_ABI_VERSION = "kiln_abi_version";

    /** Host-call return value: the item asked for does not exist. */
    public static final int ERR_NOT_FOUND = -1;

    /** Host-call return value: an argument is out of its allowed range or badly formed. */
    public static final int ERR_INVALID = -2;

    /**
     * Host-call return value: a limit refused the call (a key-value key or value too long, the
     * service's key-value store full).
     */
    public static final int ERR_LIMIT = -3;

    /** Host-call return value: {@code kv_compare_and_swap} found another value than expected. */
    public static final int ERR_CONFLICT = -4;

    /**
     * Host-call return value: the store could not serve the call now (outside an invocation, or a
     * storage failure such as a full disk); nothing changed.
     */
    public static final int ERR_UNAVAILABLE = -5;

    /**
     * Host-call return value: {@code http_send} was refused by the function's {@code
     * allowedOutboundHosts}, or the host resolves to a private address no pattern names literally.
     */
    public static final int ERR_DENIED = -6;

    /** Host-call return value: {@code http_send}'s URL is not an absolute http or https URL. */
    public static final int ERR_INVALID_URL = -7;

    /** Host-call return value: the invocation has made all the outbound requests it may. */
    public static final int ERR_TOO_MANY_REQUESTS = -8;

    /** Host-call return value: the response passed the invocation's response byte cap. */
    public static final int ERR_RESPONSE_TOO_LARGE = -9;

    /** Host-call return value: the outbound request took longer than the per-call timeout. */
    public static final int ERR_TIMEOUT = -10;

    /** Host-call return value: no connection could be made (DNS, refused, TLS handshake). */
    public static final int ERR_CONNECT_FAILED = -11;

    /** Host-call return value: the exchange failed after connecting (reset, malformed response). */
    public static final int ERR_IO = -12;

    /** Success for host calls that return no length. */
    public static final int OK = 0;

    /** Packs a guest result the way {@code kiln_handle} returns it: {@code (ptr << 32) | len}. */
    public static long packResult(int ptr, int len) {
        return ((long) ptr << 32) | (len & 0xFFFF_FFFFL);
    }

    /** The pointer half of a packed result, as an unsigned 32-bit value. */
    public static long resultPtr(long packed) {
        return packed >>> 32;
    }

    /** The length half of a packed result, as an unsigned 32-bit value. */
    public static long resultLen(long packed) {
        return packed & 0xFFFF_FFFFL;
    }
}
