package dev.kiln.host.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.observability.Metrics;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The budget's arithmetic: kinds, the outside source, eviction before refusal, metrics. */
class MemoryBudgetTest {
    private final Metrics metrics = new Metrics();
    private final MemoryBudget budget = new MemoryBudget(1000, metrics);

    @Test
    void countsByKindAndRefusesWhatDoesNotFit() {
        budget.reserve(MemoryBudget.Kind.SNAPSHOTS, 600, null);
        budget.reserve(MemoryBudget.Kind.INSTANCES, 300, null);
        assertThat(budget.used()).isEqualTo(900);
        assertThatThrownBy(() -> budget.reserve(MemoryBudget.Kind.COMPILED_CODE, 101, null))
                .isInstanceOfSatisfying(
                        MemoryBudgetException.class,
                        e -> {
                            assertThat(e.code()).isEqualTo(ErrorCode.INSUFFICIENT_CAPACITY);
                            assertThat(e.kind()).isEqualTo(MemoryBudget.Kind.COMPILED_CODE);
                        });
        assertThat(budget.used()).isEqualTo(900);
        budget.reserve(MemoryBudget.Kind.COMPILED_CODE, 100, null);
        budget.release(MemoryBudget.Kind.SNAPSHOTS, 600);
        assertThat(budget.used(MemoryBudget.Kind.SNAPSHOTS)).isZero();
        assertThat(budget.used()).isEqualTo(400);
        assertThat(metrics.scrape())
                .contains("kiln_memory_budget_bytes 1000")
                .contains("kiln_memory_budget_used_bytes{kind=\"instances\"} 300")
                .contains("kiln_memory_budget_used_bytes{kind=\"compiled_code\"} 100")
                .contains("kiln_memory_budget_refusals_total{kind=\"compiled_code\"} 1");
    }

    @Test
    void requestBuffersCountInTheTotal() {
        AtomicLong buffered = new AtomicLong(700);
        budget.countRequestBuffers(buffered::get);
        assertThat(budget.used()).isEqualTo(700);
        assertThat(budget.tryReserve(MemoryBudget.Kind.INSTANCES, 301)).isFalse();
        assertThat(budget.tryReserve(MemoryBudget.Kind.INSTANCES, 300)).isTrue();
        buffered.set(0);
        assertThat(budget.used()).isEqualTo(300);
        assertThat(metrics.scrape())
                .contains("kiln_memory_budget_used_bytes{kind=\"request_buffers\"} 0");
    }

    @Test
    void evictsBeforeRefusingAndRefusesWhenEvictionFreesNothing() {
        budget.reserve(MemoryBudget.Kind.INSTANCES, 900, null);
        long[] asked = {0};
        budget.evictor(
                (needed, requester) -> {
                    asked[0] = needed;
                    budget.release(MemoryBudget.Kind.INSTANCES, needed);
                    return needed;
                });
        budget.reserve(MemoryBudget.Kind.SNAPSHOTS, 250, new FunctionName("s", "f"));
        assertThat(asked[0]).isEqualTo(150);
        assertThat(budget.used()).isEqualTo(1000);

        budget.evictor((needed, requester) -> 0);
        assertThatThrownBy(
                        () ->
                                budget.reserve(
                                        MemoryBudget.Kind.SNAPSHOTS, 1, new FunctionName("s", "f")))
                .isInstanceOf(MemoryBudgetException.class);
    }
}
