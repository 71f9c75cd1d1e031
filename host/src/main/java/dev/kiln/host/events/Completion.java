package dev.kiln.host.events;

import java.time.Instant;
import java.util.List;

/** What happens to a leased event after its attempt. */
public sealed interface Completion {

    /** Delivered: delete it and store {@code followUps} (destination events) in one step. */
    record Done(List<NewEvent> followUps) implements Completion {
        public Done {
            followUps = List.copyOf(followUps);
        }
    }

    /**
     * Try again at {@code dueAt}.
     *
     * @param counted false when the attempt never ran (the function was at capacity), so it does
     *     not use up one of the event's attempts
     */
    record Retry(Instant dueAt, String errorCode, String message, boolean counted)
            implements Completion {}

    /**
     * Out of attempts or time: move it to the dead-letter list (when {@code keepInList}) and store
     * {@code followUps}.
     *
     * @param attempts attempts that actually ran
     */
    record DeadLettered(
            String reason,
            int attempts,
            String errorCode,
            String message,
            boolean keepInList,
            List<NewEvent> followUps)
            implements Completion {
        public DeadLettered {
            followUps = List.copyOf(followUps);
        }
    }

    /** Drop it: its function no longer exists. */
    record Discarded(String why) implements Completion {}
}
