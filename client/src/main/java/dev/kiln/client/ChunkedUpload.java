package dev.kiln.client;

import java.net.http.HttpRequest;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A request body; a large one is sent in chunks reported to {@link UploadProgress} as the HTTP
 * client takes them (so on a slow link the report follows the wire, a chunk ahead).
 */
final class ChunkedUpload {
    private ChunkedUpload() {}

    static HttpRequest.BodyPublisher publisher(byte[] body, UploadProgress progress, int chunk) {
        if (body == null) {
            return HttpRequest.BodyPublishers.noBody();
        }
        if (progress == null || body.length <= chunk) {
            return HttpRequest.BodyPublishers.ofByteArray(body);
        }
        Iterable<byte[]> chunks =
                () ->
                        new Iterator<>() {
                            private int offset;

                            @Override
                            public boolean hasNext() {
                                return offset < body.length;
                            }

                            @Override
                            public byte[] next() {
                                if (!hasNext()) {
                                    throw new NoSuchElementException();
                                }
                                int end = Math.min(body.length, offset + chunk);
                                byte[] piece = Arrays.copyOfRange(body, offset, end);
                                offset = end;
                                progress.sent(end, body.length);
                                return piece;
                            }
                        };
        return HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofByteArrays(chunks), body.length);
    }
}
