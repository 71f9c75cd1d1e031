package dev.kiln.host.deploy;

import java.time.Duration;
import java.util.Objects;

/**
 * How much upload work the host does at once, and for how long (docs/adr/0029).
 *
 * @param maxConcurrentUploads uploads and settings changes checked at once, host-wide; a check that
 *     outlived its deadline keeps its slot until its thread really ends, so abandoned compilations
 *     never add up beyond this
 * @param uploadQueue uploads that may wait for a slot; beyond it {@code overloaded}
 * @param uploadTimeout longest an upload may wait in the queue, and, once started, longest its
 *     check may take (validation, fuel instrumentation, compilation, trial instantiation with
 *     {@code kiln_init}, warming {@code minInstances}) before it is refused with {@code
 *     upload_timeout}
 */
public record UploadLimits(int maxConcurrentUploads, int uploadQueue, Duration uploadTimeout) {

    /**
     * Two checks at once, so one slow or abandoned compilation does not stop every other upload; a
     * short queue; a minute, far above what a module within the module limits takes to compile.
     */
    public static final UploadLimits DEFAULTS = new UploadLimits(2, 8, Duration.ofSeconds(60));

    public UploadLimits {
        Objects.requireNonNull(uploadTimeout, "uploadTimeout");
        if (maxConcurrentUploads <= 0) {
            throw new IllegalArgumentException(
                    "maxConcurrentUploads must be positive, got " + maxConcurrentUploads);
        }
        if (uploadQueue < 0) {
            throw new IllegalArgumentException(
                    "uploadQueue must not be negative, got " + uploadQueue);
        }
        if (uploadTimeout.toMillis() <= 0) {
            throw new IllegalArgumentException(
                    "uploadTimeout must be positive, got " + uploadTimeout);
        }
    }
}
