package dev.kiln.host.events;

/** How an event's attempt ended, as far as its retry or dead-letter decision is concerned. */
enum AttemptOutcome {
    /** The function returned normally. */
    SUCCEEDED,
    /** The function ran and failed (an error, a trap, a timeout). */
    FAILED,
    /** The function was at capacity: the attempt never ran. */
    OVERLOADED,
    /** The invoker refused to start the attempt (other than for a missing function). */
    REFUSED,
    /**
     * Starting the attempt threw unexpectedly. Counted, so the backoff grows while the fault lasts.
     */
    START_CRASHED
}
