package dev.kiln.host.invoke;

import dev.kiln.abi.HostInputs;
import dev.kiln.abi.KvBucket;
import dev.kiln.abi.OutboundHttp;
import dev.kiln.abi.OutboundLimits;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.registry.FunctionSettings;
import dev.kiln.host.registry.Target;
import dev.kiln.host.replay.JournalEntry;
import dev.kiln.host.replay.RecordMode;
import dev.kiln.host.replay.Recorder;
import dev.kiln.host.replay.Recording;
import dev.kiln.host.replay.RecordingStore;
import dev.kiln.host.sandbox.SandboxResult;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Recording invocations for replay (docs/adr/0041): which runs buffer a journal (the function's
 * {@code record} setting is not none), which of them are kept (by how they ended), and handing the
 * kept ones to the {@link RecordingStore} within the size cap, counting what is dropped.
 */
final class Recordings {
    private final RecordingStore store;
    private final long maxRecordingBytes;
    private final Metrics.Counter dropped;

    /**
     * @param store where kept recordings go, or null to record none
     */
    Recordings(RecordingStore store, long maxRecordingBytes, Metrics metrics) {
        this.store = store;
        this.maxRecordingBytes = maxRecordingBytes;
        this.dropped =
                metrics.counter(
                        "kiln_recordings_dropped_total",
                        "Invocations that should have been recorded for replay but were not, by"
                                + " why: too_large (over maxRecordingBytes), queue_full.",
                        "reason");
    }

    /**
     * One run's recording: what it wraps the guest's inputs with, and the facts a recording holds
     * besides the journal. With record none nothing is wrapped: the invocation path is what it
     * would be without recording.
     */
    static final class Run {
        private final RecordMode mode;
        private final Set<String> secretNames;
        private final Recorder recorder;
        private final InvocationRequest request;
        private final Target target;
        private final long timeoutMs;
        private final long fuelBudget;
        private final Instant startedAt;
        private final Map<String, String> guestConfig;
        private final boolean wasi;
        private OutboundLimits outboundLimits = OutboundLimits.DEFAULTS;

        private Run(
                RecordMode mode,
                Set<String> secretNames,
                Recorder recorder,
                InvocationRequest request,
                Target target,
                long timeoutMs,
                long fuelBudget,
                Instant startedAt,
                Map<String, String> guestConfig,
                boolean wasi) {
            this.mode = mode;
            this.secretNames = secretNames;
            this.recorder = recorder;
            this.request = request;
            this.target = target;
            this.timeoutMs = timeoutMs;
            this.fuelBudget = fuelBudget;
            this.startedAt = startedAt;
            this.guestConfig = guestConfig;
            this.wasi = wasi;
        }

        /** Where the guest's clock, random, config and WASI answers come from. */
        HostInputs inputs() {
            return recorder == null ? HostInputs.LIVE : recorder;
        }

        /** The service's key-value store as this run's guest reaches it. */
        KvBucket kv(KvBucket live) {
            return recorder == null ? live : recorder.kv(live);
        }

        /** Outbound HTTP as this run's guest reaches it; its limits go into the recording. */
        OutboundHttp outbound(OutboundHttp live) {
            if (recorder == null) {
                return live;
            }
            outboundLimits = live.limits();
            return recorder.outbound(live);
        }
    }

    /**
     * Starts one run's recording. Every run of a recorded function buffers its journal: whether it
     * is kept depends on how it ends.
     *
     * @param secrets the function's secrets (their values are sealed in a recording)
     */
    Run begin(
            InvocationRequest request,
            Target target,
            Map<String, String> secrets,
            long timeoutMs,
            long fuelBudget,
            Instant startedAt,
            Map<String, String> guestConfig,
            boolean wasi) {
        FunctionSettings settings = target.settings();
        RecordMode mode =
                store == null
                        ? RecordMode.NONE
                        : RecordMode.fromWire(settings.record()).orElse(RecordMode.FAILURES);
        Set<String> secretNames = mode == RecordMode.NONE ? Set.of() : secrets.keySet();
        Recorder recorder =
                mode == RecordMode.NONE
                        ? null
                        : new Recorder(HostInputs.LIVE, secretNames, maxRecordingBytes);
        return new Run(
                mode,
                secretNames,
                recorder,
                request,
                target,
                timeoutMs,
                fuelBudget,
                startedAt,
                guestConfig,
                wasi);
    }

    /**
     * Keeps {@code run}'s recording when its mode says so for how it ended.
     *
     * @param reachedGuest whether the run got as far as an instance (a run refused before has
     *     nothing to replay)
     */
    void finish(Run run, SandboxResult result, boolean reachedGuest) {
        if (run.recorder == null || !reachedGuest || !keeps(run.mode, result.outcome())) {
            return;
        }
        if (run.recorder.overflowed()) {
            dropped.inc("too_large");
            return;
        }
        FunctionSettings settings = run.target.settings();
        keep(
                new Recording(
                        run.request.requestId(),
                        run.request.service(),
                        run.request.function(),
                        run.target.version().number(),
                        run.target.version().sha256(),
                        settings.abi(),
                        settings.handler(),
                        settings.memoryMiB(),
                        run.timeoutMs,
                        run.fuelBudget,
                        run.request.trigger(),
                        run.startedAt.toEpochMilli(),
                        run.startedAt.toEpochMilli() + run.timeoutMs,
                        run.request.http(),
                        run.request.payload(),
                        run.wasi ? environment(run.guestConfig, run.secretNames) : List.of(),
                        run.recorder.journal(),
                        Recording.Result.of(result.outcome(), result.fuel()),
                        run.outboundLimits));
    }

    /**
     * Whether a run that ended so is kept under {@code mode}. A run refused before or instead of
     * reaching the guest (overloaded, rate limited, a directory grant refused) has nothing to
     * replay.
     */
    private static boolean keeps(RecordMode mode, InvocationOutcome outcome) {
        if (outcome instanceof InvocationOutcome.Overloaded
                || outcome instanceof InvocationOutcome.RateLimited
                || outcome instanceof InvocationOutcome.DirectoryGrantRefused) {
            return false;
        }
        return mode.keeps(outcome instanceof InvocationOutcome.Failure);
    }

    /** Hands a recording to the store, unless it is over its size cap or the queue is full. */
    private void keep(Recording r) {
        if (r.bytes() > maxRecordingBytes) {
            dropped.inc("too_large");
        } else if (!store.submit(r)) {
            dropped.inc("queue_full");
        }
    }

    /** A wasi-cgi guest's config as its environment held it, secrets marked. */
    private static List<JournalEntry.Config> environment(
            Map<String, String> config, Set<String> secretNames) {
        List<JournalEntry.Config> out = new ArrayList<>(config.size());
        config.forEach((k, v) -> out.add(new JournalEntry.Config(k, v, secretNames.contains(k))));
        return out;
    }
}
