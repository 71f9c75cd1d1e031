package dev.kiln.host.replay;

import dev.kiln.host.core.Sha256;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a replay produced and how it compares with the recording: {@code identical} when output,
 * status, headers, fuel and outcome (code and message) are all equal and the guest followed its
 * journal to the end.
 *
 * @param divergence why the guest stopped following its journal, or null
 * @param secretsRedacted whether secret values were missing from the recording (an export for
 *     someone other than an administrator): a guest that reads one saw it as not set
 */
public record ReplayResult(
        boolean identical,
        Recording.Result recorded,
        Recording.Result replayed,
        List<Difference> differences,
        Divergence divergence,
        boolean secretsRedacted) {

    public ReplayResult {
        differences = List.copyOf(differences);
    }

    /** One field that came out differently; bodies are shown by length and hash. */
    public record Difference(String field, String recorded, String replayed) {}

    /** Compares a replay's result with the recorded one. */
    public static ReplayResult of(
            Recording.Result recorded,
            Recording.Result replayed,
            Divergence divergence,
            boolean secretsRedacted) {
        List<Difference> diffs = new ArrayList<>();
        if (!recorded.outcome().equals(replayed.outcome())) {
            diffs.add(new Difference("outcome", recorded.outcome(), replayed.outcome()));
        }
        if (recorded.status() != replayed.status()) {
            diffs.add(
                    new Difference(
                            "status",
                            Integer.toString(recorded.status()),
                            Integer.toString(replayed.status())));
        }
        if (!recorded.headers().equals(replayed.headers())) {
            diffs.add(
                    new Difference(
                            "headers",
                            recorded.headers().toString(),
                            replayed.headers().toString()));
        }
        if (!Arrays.equals(recorded.body(), replayed.body())) {
            diffs.add(new Difference("body", describe(recorded.body()), describe(replayed.body())));
        }
        if (recorded.fuel() != replayed.fuel()) {
            diffs.add(
                    new Difference(
                            "fuel",
                            Long.toString(recorded.fuel()),
                            Long.toString(replayed.fuel())));
        }
        if (!Objects.equals(recorded.message(), replayed.message())) {
            diffs.add(new Difference("message", recorded.message(), replayed.message()));
        }
        return new ReplayResult(
                diffs.isEmpty() && divergence == null,
                recorded,
                replayed,
                diffs,
                divergence,
                secretsRedacted);
    }

    private static String describe(byte[] body) {
        return body.length + " bytes, sha256 " + Sha256.hex(body);
    }
}
