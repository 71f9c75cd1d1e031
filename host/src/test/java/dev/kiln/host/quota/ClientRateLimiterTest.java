package dev.kiln.host.quota;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClientRateLimiterTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void eachClientHasItsOwnBucket() {
        ClientRateLimiter l = new ClientRateLimiter(2, 100, 0);
        assertThat(l.tryTake("10.0.0.1", 0)).isZero();
        assertThat(l.tryTake("10.0.0.1", 0)).isZero();
        assertThat(l.tryTake("10.0.0.1", 0)).isEqualTo(SECOND / 2);
        // Another client is not held back by the first.
        assertThat(l.tryTake("10.0.0.2", 0)).isZero();
        assertThat(l.tryTake("10.0.0.1", SECOND / 2)).isZero();
    }

    @Test
    void theTableStaysBoundedAndIdleClientsAreForgotten() {
        ClientRateLimiter l = new ClientRateLimiter(1, 3, 0);
        for (String c : new String[] {"a", "b", "c"}) {
            assertThat(l.tryTake(c, 0)).isZero();
        }
        assertThat(l.tracked()).isEqualTo(3);
        // Full of active clients: a new one shares the overflow bucket (one token, then refused).
        assertThat(l.tryTake("d", 0)).isZero();
        assertThat(l.tryTake("e", 0)).isPositive();
        assertThat(l.tracked()).isEqualTo(3);
        // A second later every bucket is full again: the sweep makes room, new clients are tracked.
        assertThat(l.tryTake("f", 2 * SECOND)).isZero();
        assertThat(l.tracked()).isEqualTo(1);
    }

    @Test
    void aFloodOfNewAddressesCannotGetPastTheRate() {
        ClientRateLimiter l = new ClientRateLimiter(10, 1000, 0);
        int admitted = 0;
        for (int i = 0; i < 100_000; i++) {
            if (l.tryTake("addr-" + i, 0) == 0) {
                admitted++;
            }
        }
        // 1000 tracked clients with a burst of 10 each, plus 10 through the overflow bucket.
        assertThat(admitted).isEqualTo(1000 + 10);
        assertThat(l.tracked()).isEqualTo(1000);
    }
}
