package dev.kiln.host.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The first few new traces of each second, then a share by trace id; time passed in. */
class NewTraceSamplerTest {
    private final AtomicLong now = new AtomicLong(-5_000_000_000L); // any origin, even negative
    private long next = 1;

    private boolean sampled(NewTraceSampler s) {
        // Trace ids whose random part (the low 64 bits) is nearly the largest: a ratio below 1
        // never takes
        // them.
        String traceId = TraceId.fromLongs(next++, Long.MAX_VALUE - 1);
        return s.shouldSample(
                                Context.root(),
                                traceId,
                                "request",
                                SpanKind.SERVER,
                                Attributes.empty(),
                                List.of())
                        .getDecision()
                == SamplingDecision.RECORD_AND_SAMPLE;
    }

    private int sampledOf(NewTraceSampler s, int n) {
        int taken = 0;
        for (int i = 0; i < n; i++) {
            taken += sampled(s) ? 1 : 0;
        }
        return taken;
    }

    @Test
    void theFirstOfEachSecondAreRecordedAndNoMore() {
        var s = new NewTraceSampler(2, 0.0, now::get);
        assertThat(sampledOf(s, 10)).isEqualTo(2);
        now.addAndGet(999_000_000L);
        assertThat(sampledOf(s, 10)).isZero(); // still the same second
        now.addAndGet(1_000_000L);
        assertThat(sampledOf(s, 10)).isEqualTo(2);
        now.addAndGet(7_000_000_000L);
        assertThat(sampledOf(s, 10)).isEqualTo(2);
    }

    @Test
    void beyondThemTheRatioDecidesByTraceId() {
        var all = new NewTraceSampler(0, 1.0, now::get);
        assertThat(sampledOf(all, 50)).isEqualTo(50);
        var none = new NewTraceSampler(0, 0.0, now::get);
        assertThat(sampledOf(none, 50)).isZero();
        var half = new NewTraceSampler(0, 0.5, now::get);
        // Trace ids whose random part is small are taken at any ratio above 0.
        String low = TraceId.fromLongs(1, 1);
        assertThat(
                        half.shouldSample(
                                        Context.root(),
                                        low,
                                        "request",
                                        SpanKind.SERVER,
                                        Attributes.empty(),
                                        List.of())
                                .getDecision())
                .isEqualTo(SamplingDecision.RECORD_AND_SAMPLE);
        assertThat(sampled(half)).isFalse();
    }
}
