package dev.kiln.host.config;

/** Which threads run guest code; see docs/adr/0003-worker-threads.md. */
public enum WorkerMode {
    /** A fixed pool of platform threads with an explicit stack size (the default). */
    PLATFORM,
    /** One virtual thread per invocation, admission bounded by the same worker + queue limits. */
    VIRTUAL
}
