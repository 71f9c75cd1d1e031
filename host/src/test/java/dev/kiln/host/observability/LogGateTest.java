package dev.kiln.host.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LogGateTest {
    @Test
    void theFirstCallerPassesAtOnceAndNoOtherUntilTheIntervalIsUp() throws Exception {
        LogGate gate = new LogGate(Duration.ofMillis(200));
        assertThat(gate.pass()).isTrue();
        assertThat(gate.pass()).isFalse();
        Thread.sleep(250);
        assertThat(gate.pass()).isTrue();
        assertThat(gate.pass()).isFalse();
    }

    @Test
    void oneOfManyThreadsPassesPerInterval() throws Exception {
        LogGate gate = new LogGate(Duration.ofHours(1));
        AtomicInteger passed = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            Future<?>[] runs = new Future<?>[8];
            for (int i = 0; i < runs.length; i++) {
                runs[i] =
                        pool.submit(
                                () -> {
                                    go.await();
                                    for (int n = 0; n < 10_000; n++) {
                                        if (gate.pass()) {
                                            passed.incrementAndGet();
                                        }
                                    }
                                    return null;
                                });
            }
            go.countDown();
            for (Future<?> r : runs) {
                r.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(passed).hasValue(1);
    }
}
