package dev.kiln.host.replay;

import java.nio.ByteBuffer;

/**
 * A recording in one value for the cluster's bucket (docs/adr/0059): the store's JSON (secret
 * values sealed), the payload and the result's body, each as they are, framed by their lengths:
 * {@code u32 json length, json, u32 payload length, payload, body}.
 */
final class SharedRecording {
    private SharedRecording() {}

    static byte[] write(byte[] json, byte[] payload, byte[] body) {
        return ByteBuffer.allocate(8 + json.length + payload.length + body.length)
                .putInt(json.length)
                .put(json)
                .putInt(payload.length)
                .put(payload)
                .put(body)
                .array();
    }

    /**
     * @throws IllegalArgumentException when {@code bytes} is no framed recording
     */
    static Recording read(byte[] bytes, SecretSeal seal) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            byte[] json = new byte[b.getInt()];
            b.get(json);
            byte[] payload = new byte[b.getInt()];
            b.get(payload);
            byte[] body = new byte[b.remaining()];
            b.get(body);
            return RecordingJson.readStored(json, payload, body, seal);
        } catch (java.nio.BufferUnderflowException
                | NegativeArraySizeException
                | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("not a shared recording: " + e, e);
        }
    }
}
