package dev.kiln.host.observability;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Where spans go (docs/adr/0047). Tracing is off unless {@code otlpEndpoint} is set: then no
 * OpenTelemetry object exists and an invocation allocates nothing for spans.
 *
 * @param otlpEndpoint the OTLP/HTTP collector's base URL ({@code http://collector:4318}, spans go
 *     to its {@code /v1/traces}) or the full traces URL; {@code null} for off
 * @param serviceName the {@code service.name} resource attribute of every span
 * @param exportInterval how long finished spans wait to be sent in one batch
 * @param sampleRatio the share of new traces (requests without a {@code traceparent}) that are
 *     recorded beyond the first {@code samplesPerSecond} of each second, 0 to 1; a caller's {@code
 *     sampled} flag decides for its own trace
 * @param samplesPerSecond new traces recorded each second before {@code sampleRatio} applies
 */
public record TracingSettings(
        URI otlpEndpoint,
        String serviceName,
        Duration exportInterval,
        double sampleRatio,
        int samplesPerSecond) {
    /** Of new traces, the first of each second and 5 % of the rest: AWS X-Ray's default rule. */
    public static final double DEFAULT_SAMPLE_RATIO = 0.05;

    /** See {@link #DEFAULT_SAMPLE_RATIO}. */
    public static final int DEFAULT_SAMPLES_PER_SECOND = 1;

    public static final TracingSettings OFF =
            new TracingSettings(
                    null,
                    "kiln",
                    Duration.ofSeconds(1),
                    DEFAULT_SAMPLE_RATIO,
                    DEFAULT_SAMPLES_PER_SECOND);

    /** Settings that record every new trace. */
    public TracingSettings(URI otlpEndpoint, String serviceName, Duration exportInterval) {
        this(otlpEndpoint, serviceName, exportInterval, 1.0, 0);
    }

    public TracingSettings {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(exportInterval, "exportInterval");
        if (serviceName.isBlank()) {
            throw new IllegalArgumentException("the tracing service name must not be blank");
        }
        if (!(sampleRatio >= 0 && sampleRatio <= 1)) {
            throw new IllegalArgumentException(
                    "the trace sample ratio must be from 0 to 1, got " + sampleRatio);
        }
        if (samplesPerSecond < 0 || samplesPerSecond > NewTraceSampler.MAX_PER_SECOND) {
            throw new IllegalArgumentException(
                    "the traces sampled per second must be from 0 to "
                            + NewTraceSampler.MAX_PER_SECOND
                            + ", got "
                            + samplesPerSecond);
        }
        if (exportInterval.toMillis() < 1) {
            throw new IllegalArgumentException("the span export interval must be at least 1 ms");
        }
        if (otlpEndpoint != null) {
            String scheme = otlpEndpoint.getScheme();
            if (!("http".equals(scheme) || "https".equals(scheme))
                    || otlpEndpoint.getHost() == null) {
                throw new IllegalArgumentException(
                        "the OTLP endpoint must be an http or https URL, got " + otlpEndpoint);
            }
        }
    }

    /** Whether spans are made and exported. */
    public boolean on() {
        return otlpEndpoint != null;
    }

    /** The URL spans are posted to: the endpoint itself if it names {@code /v1/traces}. */
    public String tracesUrl() {
        String url = otlpEndpoint.toString();
        if (url.endsWith("/v1/traces")) {
            return url;
        }
        return (url.endsWith("/") ? url.substring(0, url.length() - 1) : url) + "/v1/traces";
    }
}
