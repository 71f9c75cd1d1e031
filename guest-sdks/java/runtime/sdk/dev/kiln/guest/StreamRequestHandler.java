package dev.kiln.guest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Function Compute's stream handler shape: read the event from {@code input}, write the answer
 * to {@code output} (the body; on the HTTP trigger with status 200 and no content type). For
 * a status and headers, write a plain handler returning a {@link Response} instead.
 */
public interface StreamRequestHandler {
    void handleRequest(InputStream input, OutputStream output, Context context)
            throws IOException;
}
