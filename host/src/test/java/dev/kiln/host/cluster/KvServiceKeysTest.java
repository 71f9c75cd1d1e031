package dev.kiln.host.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A listing runs without the service's lock (docs/adr/0055), so writes and deletes answered while
 * it reads the server must survive its result, which may predate them.
 */
class KvServiceKeysTest {
    @Test
    void aWriteAnsweredWhileAListingRanStaysCounted() {
        var keys = new KvServiceKeys();
        keys.scanStarted();
        keys.answered("aa", 10L); // stored after the listing read past its key
        keys.scanned(Map.of("bb", 5L), 1);
        assertThat(keys.usage().keys()).isEqualTo(2);
        assertThat(keys.usage().bytes()).isEqualTo(15);
    }

    @Test
    void aDeleteAnsweredWhileAListingRanIsNotCountedAgain() {
        var keys = new KvServiceKeys();
        keys.scanStarted();
        keys.scanned(Map.of("aa", 10L, "bb", 5L), 1);
        keys.scanStarted();
        keys.answered("aa", null); // deleted after the listing read it
        keys.scanned(Map.of("aa", 10L, "bb", 5L), 2);
        assertThat(keys.bytesOf).containsOnlyKeys("bb");
        assertThat(keys.usage().bytes()).isEqualTo(5);
    }

    @Test
    void writesInFlightAreKeptAndTheListingsOwnCountWinsOnceNoneRuns() {
        var keys = new KvServiceKeys();
        keys.inFlight.add(new KvServiceKeys.Reservation("cc", 7, null, 0));
        keys.scanStarted();
        keys.answered("aa", 10L);
        keys.scanned(Map.of(), 1);
        assertThat(keys.bytesOf).containsOnlyKeys("aa", "cc");
        // Another node deleted aa since: the next listing, with none under way before it, says so.
        keys.inFlight.clear();
        keys.scanStarted();
        keys.scanned(Map.of(), 2);
        assertThat(keys.bytesOf).isEmpty();
        assertThat(keys.listedAt).isEqualTo(2);
        assertThat(keys.listed).isTrue();
    }

    @Test
    void aFailedListingLeavesTheCountAndForgetsNothingAnotherStillNeeds() {
        var keys = new KvServiceKeys();
        keys.scanStarted();
        keys.scanned(Map.of("aa", 10L), 1);
        keys.scanStarted();
        keys.scanStarted();
        keys.answered("bb", 3L);
        keys.scanFailed(); // one of two: the other may still have missed bb
        keys.scanned(Map.of("aa", 10L), 2);
        assertThat(keys.bytesOf).containsOnlyKeys("aa", "bb");
        assertThat(keys.usage().bytes()).isEqualTo(13);
    }
}
