package dev.kiln.client;

/** Told how much of a large request body has been handed to the HTTP connection. */
@FunctionalInterface
public interface UploadProgress {
    /**
     * Called as chunks are handed over, the last time with {@code sentBytes == totalBytes}.
     *
     * @param sentBytes bytes handed over so far
     * @param totalBytes the body's size
     */
    void sent(long sentBytes, long totalBytes);
}
