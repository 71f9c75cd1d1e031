package dev.kiln.host.observability;

import dev.kiln.abi.GuestLogLine;

/** A guest log line with the invocation that wrote it. */
public record LogEntry(String requestId, GuestLogLine line) {}
