package dev.kiln.host.cli;

import dev.kiln.host.config.KilnConfig;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * {@code kiln serve}'s options for what guests reach through the host — the key-value store,
 * recording for replay, outbound HTTP — and for metering (statistics, usage, log following): a
 * picocli mixin, so they are flags of {@code serve} like the others.
 */
final class GuestServiceOptions {
    /** Every default comes from here, as in {@link ServeCommand}. */
    private static final KilnConfig DEFAULTS = KilnConfig.defaults();

    @Option(
            names = "--kv-max-keys-per-service",
            description =
                    "Keys one service's key-value store holds at most; a write of a new key past"
                            + " it returns ERR_LIMIT to the guest, 409 conflict to the API"
                            + " (default: ${DEFAULT-VALUE}).")
    int kvMaxKeysPerService = DEFAULTS.kvLimits().maxKeysPerService();

    @Option(
            names = "--kv-max-mib-per-service",
            description =
                    "MiB of keys and values one service's key-value store holds at most; a write"
                            + " that would pass it is refused like one past the key count"
                            + " (default: ${DEFAULT-VALUE}).")
    long kvMaxMiBPerService = DEFAULTS.kvLimits().maxBytesPerService() / (1024 * 1024);

    @Option(
            names = "--recordings-per-function",
            description =
                    "Recorded invocations kept per function for replay (its record setting says"
                            + " which); the oldest are dropped first (default: ${DEFAULT-VALUE}).")
    int recordingsPerFunction = DEFAULTS.recordingsPerFunction();

    @Option(
            names = "--max-recording-kib",
            description =
                    "KiB one recording (payload, result and the host calls' answers) may take; a"
                            + " bigger one is not kept (default: ${DEFAULT-VALUE}).")
    int maxRecordingKiB = DEFAULTS.maxRecordingBytes() / 1024;

    @Option(
            names = "--outbound-max-requests",
            description =
                    "Outbound HTTP requests (http_send) one invocation may make; later ones return"
                            + " ERR_TOO_MANY_REQUESTS; 0 turns outbound HTTP off"
                            + " (default: ${DEFAULT-VALUE}).")
    int outboundMaxRequests = DEFAULTS.outboundLimits().maxRequestsPerInvocation();

    @Option(
            names = "--outbound-max-request-body-bytes",
            description =
                    "Bytes of one outbound request body; more returns ERR_LIMIT"
                            + " (default: ${DEFAULT-VALUE}).")
    int outboundMaxRequestBodyBytes = DEFAULTS.outboundLimits().maxRequestBodyBytes();

    @Option(
            names = "--outbound-max-response-bytes",
            description =
                    "Bytes of all outbound responses (header fields and bodies) one invocation may"
                            + " receive together; the host stops reading past it and returns"
                            + " ERR_RESPONSE_TOO_LARGE (default: ${DEFAULT-VALUE}).")
    long outboundMaxResponseBytes = DEFAULTS.outboundLimits().maxResponseBytesPerInvocation();

    @Option(
            names = "--outbound-timeout-ms",
            description =
                    "Longest one outbound request may take, name lookup to last byte; the"
                            + " invocation's deadline cuts it shorter (default: ${DEFAULT-VALUE}).")
    long outboundTimeoutMs = DEFAULTS.outboundLimits().callTimeoutMillis();

    @Option(
            names = "--outbound-trust-pem",
            description =
                    "PEM file of certificates outbound HTTPS trusts besides the JDK's trust store"
                            + " (a private CA; default: the JDK's only).")
    Path outboundTrustPem;

    @Option(
            names = "--stats-retention-hours",
            description =
                    "Hours of per-function per-minute statistics (GET …/stats) kept"
                            + " (default: ${DEFAULT-VALUE}).")
    long statsRetentionHours = DEFAULTS.observability().statsRetention().toHours();

    @Option(
            names = "--usage-retention-days",
            description =
                    "Days of hourly usage (GET /api/v1/usage) kept (default: ${DEFAULT-VALUE}).")
    long usageRetentionDays = DEFAULTS.observability().usageRetention().toDays();

    @Option(
            names = "--max-log-followers",
            description =
                    "Log streams (logs?follow=true) open at once, host-wide; one more gets 503"
                            + " server_busy (default: ${DEFAULT-VALUE}).")
    int maxLogFollowers = DEFAULTS.observability().maxLogFollowers();

    @Option(
            names = "--log-heartbeat-ms",
            description =
                    "How often an idle log stream gets a comment line, which also detects"
                            + " clients gone away (default: ${DEFAULT-VALUE}).")
    long logHeartbeatMs = DEFAULTS.observability().logHeartbeat().toMillis();

    @Option(
            names = "--otlp-endpoint",
            paramLabel = "URL",
            description =
                    "Export spans by OTLP/HTTP (protobuf) to this collector, e.g."
                            + " http://127.0.0.1:4318 (spans go to its /v1/traces); tracing is off"
                            + " without it (docs/adr/0047).")
    java.net.URI otlpEndpoint;

    @Option(
            names = "--otlp-service-name",
            description = "The service.name of exported spans (default: ${DEFAULT-VALUE}).")
    String otlpServiceName = DEFAULTS.tracing().serviceName();

    @Option(
            names = "--otlp-export-interval-ms",
            description =
                    "How long finished spans wait to be exported in one batch (default:"
                            + " ${DEFAULT-VALUE}).")
    long otlpExportIntervalMs = DEFAULTS.tracing().exportInterval().toMillis();

    @Option(
            names = "--otlp-sample-ratio",
            description =
                    "Share of new traces (requests without a traceparent) recorded and exported"
                            + " beyond the first --otlp-samples-per-second of each second, 0 to 1;"
                            + " a caller's sampled flag decides for its trace (default:"
                            + " ${DEFAULT-VALUE}; 1 records every request).")
    double otlpSampleRatio = DEFAULTS.tracing().sampleRatio();

    @Option(
            names = "--otlp-samples-per-second",
            description =
                    "New traces recorded each second before --otlp-sample-ratio applies"
                            + " (default: ${DEFAULT-VALUE}).")
    int otlpSamplesPerSecond = DEFAULTS.tracing().samplesPerSecond();

    /** Sets these options' parts of the configuration. */
    void applyTo(KilnConfig.Builder builder) {
        builder.kvLimits(
                new dev.kiln.host.kv.KvLimits(
                        kvMaxKeysPerService, kvMaxMiBPerService * 1024 * 1024));
        builder.recordingsPerFunction(recordingsPerFunction);
        builder.maxRecordingBytes(Math.multiplyExact(maxRecordingKiB, 1024));
        builder.observability(
                new dev.kiln.host.observability.ObservabilityLimits(
                        Duration.ofHours(statsRetentionHours),
                        Duration.ofDays(usageRetentionDays),
                        maxLogFollowers,
                        Duration.ofMillis(logHeartbeatMs)));
        builder.outboundLimits(
                new dev.kiln.abi.OutboundLimits(
                        outboundMaxRequests,
                        outboundMaxRequestBodyBytes,
                        outboundMaxResponseBytes,
                        outboundTimeoutMs));
        builder.outboundTrustPem(outboundTrustPem);
        builder.tracing(
                new dev.kiln.host.observability.TracingSettings(
                        otlpEndpoint,
                        otlpServiceName,
                        Duration.ofMillis(otlpExportIntervalMs),
                        otlpSampleRatio,
                        otlpSamplesPerSecond));
    }
}
