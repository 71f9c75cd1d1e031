package dev.kiln.conformance;

/** How one case ended. {@code detail} says what differed, for failures. */
public record CaseResult(String name, Status status, long millis, String detail) {
    public enum Status {
        PASS,
        FAIL,
        SKIP
    }
}
