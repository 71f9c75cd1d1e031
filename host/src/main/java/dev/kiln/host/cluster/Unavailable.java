package dev.kiln.host.cluster;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;

/** A JetStream failure as the client sees it: {@code unavailable} (503), retry later. */
final class Unavailable {
    private Unavailable() {}

    static KilnException of(String what, Exception cause) {
        return new KilnException(
                ErrorCode.UNAVAILABLE,
                what + " (NATS JetStream: " + cause.getMessage() + "); retry later",
                cause);
    }
}
