package dev.kiln.host.sandbox;

import dev.kiln.abi.GuestLogLine;
import dev.kiln.host.core.InvocationOutcome;
import java.util.List;

/**
 * One invocation's outcome plus what the guest logged on the way, kept whatever the outcome.
 *
 * @param fuel fuel consumed, at most the budget
 */
public record SandboxResult(
        InvocationOutcome outcome, List<GuestLogLine> logs, boolean logTruncated, long fuel) {
    public SandboxResult {
        logs = List.copyOf(logs);
    }
}
