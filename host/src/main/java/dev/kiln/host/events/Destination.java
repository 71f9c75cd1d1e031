package dev.kiln.host.events;

import dev.kiln.host.core.FunctionName;

/** Where an event's result or failure goes besides its own invocation record. */
public sealed interface Destination {

    /** The function's own dead-letter list, readable and re-drivable through the API. */
    record DeadLetterList() implements Destination {}

    /** Nowhere: the event is dropped (its invocation record remains). */
    record Discard() implements Destination {}

    /**
     * Another function, invoked asynchronously with a JSON record of what happened.
     *
     * @param qualifier what selects the version it runs (docs/adr/0037); {@code null} is LATEST
     */
    record FunctionTarget(String service, String function, String qualifier)
            implements Destination {
        public FunctionTarget(String service, String function) {
            this(service, function, null);
        }

        public FunctionName key() {
            return new FunctionName(service, function);
        }
    }
}
