package dev.kiln.host.observability;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Which new traces (requests without a {@code traceparent}) are recorded: the first {@code
 * perSecond} of every second, then {@code ratio} of the rest by trace id. AWS X-Ray's default rule
 * for Lambda (one a second and 5 % beyond) has this shape: every function shows up in traces
 * however rarely it runs, and a busy one pays for a small share (docs/adr/0047).
 */
final class NewTraceSampler implements Sampler {
    // The second and how many were taken in it, in one word: second << BITS | taken.
    private static final int BITS = 20;
    static final int MAX_PER_SECOND = (1 << BITS) - 1;

    private final int perSecond;
    private final Sampler beyond;
    private final LongSupplier nanoTime;
    private final long origin;
    private final AtomicLong slot = new AtomicLong();

    NewTraceSampler(int perSecond, double ratio, LongSupplier nanoTime) {
        if (perSecond < 0 || perSecond > MAX_PER_SECOND) {
            throw new IllegalArgumentException("perSecond out of range: " + perSecond);
        }
        this.perSecond = perSecond;
        this.beyond = Sampler.traceIdRatioBased(ratio);
        this.nanoTime = nanoTime;
        this.origin = nanoTime.getAsLong();
    }

    @Override
    public SamplingResult shouldSample(
            Context parentContext,
            String traceId,
            String name,
            SpanKind spanKind,
            Attributes attributes,
            List<LinkData> parentLinks) {
        if (takeThisSecond()) {
            return SamplingResult.recordAndSample();
        }
        return beyond.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
    }

    private boolean takeThisSecond() {
        if (perSecond == 0) {
            return false;
        }
        long second = (nanoTime.getAsLong() - origin) / 1_000_000_000L;
        while (true) {
            long current = slot.get();
            long next;
            if (current >>> BITS != second) {
                next = second << BITS | 1;
            } else if ((current & MAX_PER_SECOND) < perSecond) {
                next = current + 1;
            } else {
                return false;
            }
            if (slot.compareAndSet(current, next)) {
                return true;
            }
        }
    }

    @Override
    public String getDescription() {
        return "NewTraceSampler{perSecond="
                + perSecond
                + ", beyond="
                + beyond.getDescription()
                + "}";
    }
}
