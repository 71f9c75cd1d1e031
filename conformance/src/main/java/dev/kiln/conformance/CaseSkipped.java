package dev.kiln.conformance;

/** Thrown while running a case that cannot run against this target; the case is reported skip. */
final class CaseSkipped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CaseSkipped(String reason) {
        super(reason, null, false, false);
    }
}
