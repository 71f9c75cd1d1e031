package dev.kiln.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * A followed log ({@link KilnClient#followLogs}): server-sent events whose {@code data:} lines
 * carry one log line each, as JSON ({@code time}, {@code level}, {@code message}, {@code
 * requestId}). Comments (keep-alives) and other fields are skipped. {@link #close()} may be called
 * from another thread to end a blocked {@link #next()}.
 */
public final class LogStream implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final InputStream body;
    private final BufferedReader lines;

    LogStream(InputStream body) {
        this.body = body;
        this.lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
    }

    /**
     * The next log line, blocking until one arrives; null when the stream ended (the host closed
     * it, or {@link #close()} was called).
     *
     * @throws KilnException {@code bad_answer} for an event whose data is not JSON
     */
    public JsonNode next() {
        StringBuilder data = null;
        while (true) {
            String line;
            try {
                line = lines.readLine();
            } catch (IOException e) {
                return null;
            }
            if (line == null) {
                return null;
            }
            if (line.isEmpty()) {
                if (data != null) {
                    return parse(data.toString());
                }
                continue;
            }
            if (line.startsWith("data:")) {
                String value = line.substring(5);
                value = value.startsWith(" ") ? value.substring(1) : value;
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            }
            // ":" comments, event:, id:, retry: — nothing a log reader needs.
        }
    }

    private static JsonNode parse(String data) {
        try {
            return JSON.readTree(data);
        } catch (IOException e) {
            throw new KilnException("bad_answer", "a log event is not JSON", null, 0, -1);
        }
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException e) {
            // the stream is going away either way
        }
    }
}
