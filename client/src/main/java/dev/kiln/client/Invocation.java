package dev.kiln.client;

import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/** The result of a synchronous invocation: the function's bytes and Kiln's X-Kiln-* headers. */
public final class Invocation {
    private final int statusCode;
    private final byte[] payload;
    private final HttpHeaders headers;

    Invocation(int statusCode, byte[] payload, HttpHeaders headers) {
        this.statusCode = statusCode;
        this.payload = payload.clone();
        this.headers = headers;
    }

    /** The HTTP status (200). */
    public int statusCode() {
        return statusCode;
    }

    /** The result bytes (a copy). */
    public byte[] payload() {
        return payload.clone();
    }

    /** The payload as UTF-8 text. */
    public String text() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /** {@code X-Kiln-Request-Id}. */
    public String requestId() {
        return headers.firstValue("x-kiln-request-id").orElse(null);
    }

    /** {@code X-Kiln-Version}: the version that ran. */
    public OptionalLong executedVersion() {
        return number("x-kiln-version");
    }

    /** {@code X-Kiln-Duration-Us}. */
    public OptionalLong durationUs() {
        return number("x-kiln-duration-us");
    }

    /** {@code X-Kiln-Fuel}: the fuel consumed (the same module and input: the same number). */
    public OptionalLong fuel() {
        return number("x-kiln-fuel");
    }

    /** {@code X-Kiln-Start}: cold, warm or pool. */
    public String start() {
        return headers.firstValue("x-kiln-start").orElse(null);
    }

    /** Every header of the answer. */
    public HttpHeaders headers() {
        return headers;
    }

    private OptionalLong number(String header) {
        return headers.firstValueAsLong(header);
    }
}
