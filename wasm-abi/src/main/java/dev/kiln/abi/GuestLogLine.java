package dev.kiln.abi;

/** One line a guest logged, with the wall-clock time the host received it. */
public record GuestLogLine(long epochMillis, LogLevel level, String message) {}
