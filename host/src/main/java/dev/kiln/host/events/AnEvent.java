package dev.kiln.host.events;

import dev.kiln.host.core.FunctionName;

/** An event at any stage (new, queued, dead-lettered): its {@link EventFields}, read directly. */
public interface AnEvent {
    EventFields fields();

    default String requestId() {
        return fields().requestId();
    }

    default String service() {
        return fields().service();
    }

    default String function() {
        return fields().function();
    }

    default String trigger() {
        return fields().trigger();
    }

    default String source() {
        return fields().source();
    }

    default byte[] payload() {
        return fields().payload();
    }

    /** The function it is for. */
    default FunctionName functionKey() {
        return new FunctionName(service(), function());
    }
}
