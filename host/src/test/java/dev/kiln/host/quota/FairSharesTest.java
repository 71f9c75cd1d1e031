package dev.kiln.host.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** How a quota's figure is divided among a cluster's nodes by demand (docs/adr/0058). */
class FairSharesTest {
    @Test
    void aNodeAloneGetsTheWholeFigure() {
        assertThat(FairShares.divide(20, new double[] {0})[0]).isCloseTo(20, within(1e-9));
        assertThat(FairShares.divide(20, new double[] {500})[0]).isCloseTo(20, within(1e-9));
        assertThat(FairShares.slots(3, new double[] {0})).containsExactly(3);
    }

    @Test
    void withoutDemandTheFigureIsSplitEvenly() {
        assertThat(FairShares.divide(20, new double[] {0, 0})).containsExactly(10, 10);
        assertThat(FairShares.slots(4, new double[] {0, 0})).containsExactly(2, 2);
    }

    @Test
    void aNodeWithAllTheDemandKeepsAllButTheOthersReserve() {
        double[] parts = FairShares.divide(20, new double[] {100, 0});
        assertThat(parts[0]).isCloseTo(19, within(1e-9));
        assertThat(parts[1]).isCloseTo(1, within(1e-9));
    }

    @Test
    void aSmallDemandIsMetBeforeALargeOneGrows() {
        // proportional shares would give the small one 20 * 5 / 105 < 1; max-min gives it 5
        double[] parts = FairShares.divide(20, new double[] {5, 100});
        assertThat(parts[0]).isCloseTo(1 + 5, within(1e-9));
        assertThat(parts[1]).isCloseTo(1 + 13, within(1e-9));
    }

    @Test
    void whatNobodyAskedForIsSplitEvenlyAmongTheNodesThatAsked() {
        double[] parts = FairShares.divide(20, new double[] {4, 6});
        // reserve 1 each; 4 and 6 given; 8 left, 4 each
        assertThat(parts).containsExactly(9, 11);
        // a node that asks nothing (idle, or dead until its heartbeat is stale) keeps its reserve
        parts = FairShares.divide(20, new double[] {4, 0});
        assertThat(parts).containsExactly(19, 1);
    }

    @Test
    void partsAndSlotsAddUpToTheFigure() {
        double[][] cases = {{0, 0, 0}, {1, 2, 3}, {100, 0, 7}, {3, 3, 3, 3, 3}, {0.5, 1e6}};
        for (double[] demand : cases) {
            for (int figure : new int[] {1, 2, 3, 7, 20, 1_000_000}) {
                assertThat(Arrays.stream(FairShares.divide(figure, demand)).sum())
                        .isCloseTo(figure, within(1e-6 * figure));
                assertThat(Arrays.stream(FairShares.slots(figure, demand)).sum()).isEqualTo(figure);
                assertThat(Arrays.stream(FairShares.slots(figure, demand)).min().orElse(0))
                        .isNotNegative();
            }
        }
    }

    @Test
    void slotsLeftGoToTheLargestRemainderThenTheFirstNode() {
        // 3 slots, equal demand: 1.5 each, the first node (by name) gets the odd one
        assertThat(FairShares.slots(3, new double[] {3, 3})).containsExactly(2, 1);
        // 1 slot, all demand on the second: it gets it
        assertThat(FairShares.slots(1, new double[] {0, 1})).containsExactly(0, 1);
    }
}
