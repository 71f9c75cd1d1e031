package dev.kiln.conformance;

/** How one case ended. {@code detail} says what differed, for failures. */
record CaseResult(String name, Status status, long millis, String detail) {
    enum Status {
        PASS,
        FAIL,
        SKIP
    }
}
