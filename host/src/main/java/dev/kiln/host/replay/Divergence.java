package dev.kiln.host.replay;

/**
 * Why a replay stopped following its recording.
 *
 * @param code stable: {@code unexpected_call} (the guest asked another call than the next
 *     recorded), {@code different_arguments} (the same call with other arguments), {@code
 *     journal_exhausted} (a call past the end of the recording), {@code calls_not_made} (the guest
 *     finished without asking every recorded call)
 * @param at the index in the journal where it happened
 */
public record Divergence(String code, String message, int at) {
    public static final String UNEXPECTED_CALL = "unexpected_call";
    public static final String DIFFERENT_ARGUMENTS = "different_arguments";
    public static final String JOURNAL_EXHAUSTED = "journal_exhausted";
    public static final String CALLS_NOT_MADE = "calls_not_made";
}
