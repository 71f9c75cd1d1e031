package dev.kiln.host.core;

import dev.kiln.abi.Header;
import java.util.List;

/** How one invocation ended: exactly one of these, each failure with a stable error code. */
public sealed interface InvocationOutcome {

    /** The wire name of a success in invocation records and metrics. */
    String OK_WIRE = "ok";

    /**
     * How invocation records, the {@code outcome} metric label and destination records name this
     * outcome: {@code ok}, or the failure's error code.
     */
    default String wire() {
        return this instanceof Failure f ? f.code().wire() : OK_WIRE;
    }

    /** Whether {@code value} names an outcome: {@code ok} or an {@link ErrorCode}'s wire form. */
    static boolean isWire(String value) {
        if (OK_WIRE.equals(value)) {
            return true;
        }
        for (ErrorCode c : ErrorCode.values()) {
            if (c.wire().equals(value)) {
                return true;
            }
        }
        return false;
    }

    /** The guest returned a result. Status and headers only apply to the HTTP trigger. */
    record Ok(int status, List<Header> headers, byte[] body) implements InvocationOutcome {
        public Ok {
            headers = List.copyOf(headers);
        }
    }

    /** Every way an invocation can fail; {@link #message()} is safe to show the client. */
    sealed interface Failure extends InvocationOutcome {
        ErrorCode code();

        String message();
    }

    /** The guest reported an error through {@code kiln.fail}; the message is the guest's. */
    record GuestError(String message) implements Failure {
        @Override
        public ErrorCode code() {
            return ErrorCode.GUEST_ERROR;
        }
    }

    record Trap(String message) implements Failure {
        @Override
        public ErrorCode code() {
            return ErrorCode.GUEST_TRAP;
        }
    }

    record StackExhausted(String message) implements Failure {
        @Override
        public ErrorCode code() {
            return ErrorCode.STACK_EXHAUSTED;
        }
    }

    record OutOfFuel(String message) implements Failure {
        @Override
        public ErrorCode code() {
            return ErrorCode.FUEL_EXHAUSTED;
        }
    }

    record Timeout(String message) implements Failure {
        @Override
        public ErrorCode code() {
            return ErrorCode.TIMEOUT;
        }
    }

    record MemoryLimit(String message) implements Failure {
        @Override
        public ErrorCode code() {
            return ErrorCode.MEMORY_LIMIT;
        }
    }

    record OutputLimit(String message) implements Failure {
        @Override
        public ErrorCode code() {
            return ErrorCode.OUTPUT_LIMIT;
        }
    }

    record AbiViolation(String message) implements Failure {
        @Override
        public ErrorCode code() {
            return ErrorCode.ABI_VIOLATION;
        }
    }

    record Overloaded(String message) implements Failure {
        @Override
        public ErrorCode code() {
            return ErrorCode.OVERLOADED;
        }
    }

    /** A wasi-cgi directory grant resolved outside every allowed root; the guest never ran. */
    record DirectoryGrantRefused(String message) implements Failure {
        @Override
        public ErrorCode code() {
            return ErrorCode.DIRECTORY_GRANT_REFUSED;
        }
    }

    /**
     * Refused before it ran by a quota: the service's rate or concurrency quota, or the client's
     * rate on the HTTP trigger.
     *
     * @param retryAfterSeconds when a retry may succeed, for {@code Retry-After} (at least 1)
     */
    record RateLimited(String message, long retryAfterSeconds) implements Failure {
        public RateLimited {
            retryAfterSeconds = Math.max(1, retryAfterSeconds);
        }

        @Override
        public ErrorCode code() {
            return ErrorCode.RATE_LIMITED;
        }
    }

    /**
     * Refused before it ran with a code none of the records above carries (such as {@code
     * function_not_found}): what the node an invocation was forwarded to answered (docs/adr/0056).
     */
    record Refused(ErrorCode code, String message) implements Failure {}
}
