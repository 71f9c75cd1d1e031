package dev.kiln.host.events;

import java.time.Instant;

/**
 * "Fire {@code key} for time {@code scheduledAt} at most once": stored with the events it comes
 * with, in the same transaction, so a timer fire is never enqueued twice, even across a crash.
 */
public record FireMark(String key, Instant scheduledAt) {}
