package dev.kiln.abi;

/** A key-value call refused or failed; {@link #kind} says which code the guest sees. */
public final class KvException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why, as the guest's error code. */
    public enum Kind {
        /** {@link AbiV1#ERR_LIMIT}: a limit of the service's store. */
        LIMIT(AbiV1.ERR_LIMIT),
        /** {@link AbiV1#ERR_INVALID}: the stored value does not fit the operation. */
        INVALID(AbiV1.ERR_INVALID),
        /** {@link AbiV1#ERR_UNAVAILABLE}: storage failed; nothing changed. */
        UNAVAILABLE(AbiV1.ERR_UNAVAILABLE);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        /** The host call's return value. */
        public int code() {
            return code;
        }
    }

    private final Kind kind;

    public KvException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
