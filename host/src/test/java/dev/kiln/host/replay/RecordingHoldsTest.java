package dev.kiln.host.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The writer's holding back of a busy function's recordings, with time passed in: a slow function
 * is written as its recordings come, a busy one writes its newest once per window.
 */
class RecordingHoldsTest {
    private static final long MS = 1_000_000L;
    private static final long WINDOW = 1000 * MS;
    private int next;

    private RecordingHolds.Entry entry(String function) {
        return entry(function, 1_700_000_000_000L + next);
    }

    private RecordingHolds.Entry entry(String function, long startedAt) {
        String requestId = "01REQ%021d".formatted(next++);
        return new RecordingHolds.Entry(
                RecordingStoreTest.recording(function, requestId, startedAt, new byte[0]), 1000);
    }

    private List<RecordingHolds.Entry> entries(String function, int n) {
        List<RecordingHolds.Entry> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(entry(function));
        }
        return out;
    }

    @Test
    void aFunctionWithinItsBoundPerWindowIsWrittenAsItsRecordingsCome() {
        var holds = new RecordingHolds(3, WINDOW, 1 << 20);
        for (int i = 0; i < 6; i++) { // one recording every 400 ms: at most 3 per window
            List<RecordingHolds.Entry> one = entries("slow", 1);
            RecordingHolds.Pass pass = holds.take(one, false, i * 400L * MS);
            assertThat(pass.write()).isEqualTo(one);
            assertThat(pass.superseded()).isEmpty();
        }
        assertThat(holds.holding()).isFalse();
    }

    @Test
    void aBusyFunctionHoldsItsNewestUntilTheWindowEnds() {
        var holds = new RecordingHolds(3, WINDOW, 1 << 20);
        List<RecordingHolds.Entry> first = entries("busy", 5);
        RecordingHolds.Pass pass = holds.take(first, false, 0);
        assertThat(pass.write()).containsExactlyInAnyOrderElementsOf(first.subList(2, 5));
        assertThat(pass.superseded()).containsExactlyInAnyOrderElementsOf(first.subList(0, 2));

        List<RecordingHolds.Entry> second = entries("busy", 2);
        List<RecordingHolds.Entry> third = entries("busy", 2);
        assertThat(holds.take(second, false, 50 * MS).write()).isEmpty();
        pass = holds.take(third, false, 100 * MS);
        assertThat(pass.write()).isEmpty();
        assertThat(pass.superseded()).containsExactly(second.get(0)); // the oldest of four
        assertThat(holds.holding()).isTrue();
        assertThat(holds.holds(third.get(1))).isTrue();

        pass = holds.take(List.of(), false, 999 * MS);
        assertThat(pass.write()).isEmpty();
        pass = holds.take(List.of(), false, WINDOW);
        assertThat(pass.write())
                .containsExactlyInAnyOrder(second.get(1), third.get(0), third.get(1));
        assertThat(holds.holding()).isFalse();
        // The new window counts what its start wrote: more now is held again.
        assertThat(holds.take(entries("busy", 1), false, WINDOW + MS).write()).isEmpty();
    }

    @Test
    void aFlushWritesWhatIsHeldAndWhatArrives() {
        var holds = new RecordingHolds(3, WINDOW, 1 << 20);
        holds.take(entries("busy", 3), false, 0);
        List<RecordingHolds.Entry> held = entries("busy", 2);
        assertThat(holds.take(held, false, MS).write()).isEmpty();
        List<RecordingHolds.Entry> more = entries("other", 1);
        RecordingHolds.Pass pass = holds.take(more, true, 2 * MS);
        assertThat(pass.write()).containsExactlyInAnyOrder(held.get(0), held.get(1), more.get(0));
        assertThat(holds.holding()).isFalse();
    }

    @Test
    void heldBytesPastTheirBoundAreWrittenAtOnce() {
        var holds = new RecordingHolds(3, WINDOW, 3500); // entries count 1000 bytes each
        holds.take(entries("a", 3), false, 0);
        holds.take(entries("b", 3), false, 0);
        assertThat(holds.take(entries("a", 3), false, MS).write()).isEmpty();
        List<RecordingHolds.Entry> b = entries("b", 3);
        assertThat(holds.take(b, false, 2 * MS).write()).isEmpty(); // 6000 held now
        RecordingHolds.Pass pass = holds.take(List.of(), false, 3 * MS);
        assertThat(pass.write()).hasSize(6).containsAll(b);
        assertThat(holds.holding()).isFalse();
    }

    @Test
    void ofRecordingsStartedInTheSameMillisecondTheGreatestRequestIdsAreNewest() {
        var holds = new RecordingHolds(3, WINDOW, 1 << 20);
        List<RecordingHolds.Entry> batch = new ArrayList<>();
        batch.add(entry("f", 2000)); // the newest by start
        for (int i = 0; i < 4; i++) {
            batch.add(entry("f", 1000)); // request ids rising
        }
        batch.add(entry("f", 10)); // the oldest
        RecordingHolds.Pass pass = holds.take(batch, false, 0);
        assertThat(pass.write())
                .containsExactlyInAnyOrder(batch.get(0), batch.get(4), batch.get(3));
        assertThat(pass.superseded())
                .containsExactlyInAnyOrder(batch.get(1), batch.get(2), batch.get(5));
    }
}
