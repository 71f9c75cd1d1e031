package dev.kiln.host.replay;

import dev.kiln.abi.Header;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.abi.OutboundLimits;
import dev.kiln.host.core.InvocationOutcome;
import java.util.List;
import java.util.Objects;

/**
 * Everything needed to run one invocation again and tell whether it came out the same
 * (docs/adr/0041): the version's identity and the settings that shape a run, the fixed inputs
 * (context, HTTP metadata, payload, and for wasi-cgi the environment's config), the journal of
 * nondeterministic answers, and what the invocation produced.
 *
 * @param version the function version that ran (its number; {@code sha256} is its code)
 * @param abi {@code kiln} or {@code wasi-cgi}
 * @param timeoutMs the deadline the run had
 * @param fuelBudget the fuel the run had
 * @param deadlineEpochMillis what {@code deadline_ms} answered
 * @param http the HTTP trigger's request metadata, null for other triggers
 * @param environment for wasi-cgi, the config the guest's environment held (secrets marked); empty
 *     for the kiln ABI, whose {@code config_get} answers are in the journal
 * @param outboundLimits the outbound HTTP limits the run had (the ABI checks the request count and
 *     body size itself, so a replay needs the same ones); {@link OutboundLimits#DEFAULTS} when a
 *     recording does not say
 */
public record Recording(
        String requestId,
        String service,
        String function,
        int version,
        String sha256,
        String abi,
        String handler,
        int memoryMiB,
        long timeoutMs,
        long fuelBudget,
        String trigger,
        long startedAtMillis,
        long deadlineEpochMillis,
        HttpRequestMeta http,
        byte[] payload,
        List<JournalEntry.Config> environment,
        List<JournalEntry> journal,
        Result result,
        OutboundLimits outboundLimits) {

    /** The version of the export format; a reader refuses others. */
    public static final int FORMAT = 1;

    public Recording {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(sha256, "sha256");
        environment = List.copyOf(environment);
        journal = List.copyOf(journal);
        outboundLimits = outboundLimits == null ? OutboundLimits.DEFAULTS : outboundLimits;
    }

    /** Bytes this recording holds, roughly: for the per-recording cap and the write queue. */
    public long bytes() {
        long n = 512L + payload.length + result.body().length;
        for (JournalEntry e : journal) {
            n += e.size();
        }
        for (JournalEntry e : environment) {
            n += e.size();
        }
        return n;
    }

    /** Whether any secret value was left out (an export for someone other than an admin). */
    public boolean secretsRedacted() {
        for (JournalEntry.Config c : environment) {
            if (c.secret() && c.value() == null) {
                return true;
            }
        }
        for (JournalEntry e : journal) {
            if (e instanceof JournalEntry.Config c && c.secret() && c.value() == null) {
                return true;
            }
        }
        return false;
    }

    /**
     * What a run produced: the parts {@code identical} compares.
     *
     * @param outcome {@code ok} or the error code
     * @param status the guest's status for ok, the error's HTTP status otherwise
     * @param headers the guest's response headers (ok only)
     * @param body the result bytes (ok only; empty otherwise)
     * @param message the error message, null for ok
     */
    public record Result(
            String outcome,
            int status,
            List<Header> headers,
            byte[] body,
            long fuel,
            String message) {
        public Result {
            headers = List.copyOf(headers);
        }

        public static Result of(InvocationOutcome outcome, long fuel) {
            if (outcome instanceof InvocationOutcome.Ok ok) {
                return new Result(ok.wire(), ok.status(), ok.headers(), ok.body(), fuel, null);
            }
            var f = (InvocationOutcome.Failure) outcome;
            return new Result(
                    f.wire(), f.code().httpStatus(), List.of(), new byte[0], fuel, f.message());
        }
    }
}
