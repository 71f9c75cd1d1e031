package dev.kiln.host.pool;

import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Instances are reused, one invocation at a time, and every invocation sees fresh state. */
class PoolingTest {
    @TempDir Path data;

    @Test
    void freshIsolationUnderConcurrencyAndPoolHits() throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("p", "counter", Wat.fixture("counter"));
            Map<String, Integer> starts = new ConcurrentHashMap<>();
            ExecutorService clients = Executors.newFixedThreadPool(8);
            try {
                List<Future<String>> results = new ArrayList<>();
                for (int i = 0; i < 400; i++) {
                    results.add(
                            clients.submit(
                                    () -> {
                                        var r = kiln.invoke("p", "counter", "x");
                                        starts.merge(
                                                r.headers().firstValue("X-Kiln-Start").orElse("?"),
                                                1,
                                                Integer::sum);
                                        return r.statusCode() + " " + text(r);
                                    }));
                }
                for (Future<String> f : results) {
                    // A trap here would mean two invocations shared an instance at once.
                    assertThat(f.get()).isEqualTo("200 1,1");
                }
            } finally {
                clients.shutdownNow();
            }
            assertThat(starts.getOrDefault("pool", 0)).isGreaterThan(300);
            assertThat(starts).doesNotContainKey("cold");
        }
    }

    @Test
    void aFunctionAtItsMaxConcurrencyIsThrottledWithRetryAfter() throws Exception {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("p", "slow", Wat.fixture("loop_forever"));
            kiln.patch(
                    "p",
                    "slow",
                    "{\"maxConcurrency\":1,\"timeoutMs\":1500,\"fuel\":1000000000000}");
            ExecutorService client = Executors.newSingleThreadExecutor();
            try {
                Future<java.net.http.HttpResponse<byte[]>> first =
                        client.submit(() -> kiln.invoke("p", "slow", "x"));
                Thread.sleep(300); // the first one now holds the only slot until its deadline
                var second = kiln.invoke("p", "slow", "x");
                assertThat(second.statusCode()).isEqualTo(429);
                assertThat(dev.kiln.host.testing.TestHost.errorCode(second))
                        .isEqualTo("overloaded");
                assertThat(second.headers().firstValue("Retry-After")).isPresent();
                assertThat(first.get().statusCode()).isEqualTo(504);
                // The slot came back: the next call runs (and times out) instead of being
                // throttled.
                assertThat(kiln.invoke("p", "slow", "x").statusCode()).isEqualTo(504);
            } finally {
                client.shutdownNow();
            }
        }
    }

    @Test
    void anInstanceWhoseMemoryGrewIsResetAndReused() {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("p", "grows", Wat.fixture("grows"));
            for (int i = 0; i < 5; i++) {
                var r = kiln.invoke("p", "grows", "");
                assertThat(text(r)).isEqualTo("2");
                // A reset takes memory back to its snapshot size, so the instance stays.
                assertThat(r.headers().firstValue("X-Kiln-Start")).hasValue("pool");
            }
        }
    }

    @Test
    void aTrappedInstanceIsNeverReused() {
        try (TestHost kiln = TestHost.start(data)) {
            kiln.deploy("p", "orders", Wat.fixture("order_summary"));
            var ok = kiln.invoke("p", "orders", "{\"orderId\":\"A\"}");
            assertThat(ok.headers().firstValue("X-Kiln-Start")).hasValue("pool");
            var failed = kiln.invoke("p", "orders", "{}");
            assertThat(failed.statusCode()).isEqualTo(500);
            // The failed instance was dropped; the pool had only that one, so this one is new.
            var next = kiln.invoke("p", "orders", "{\"orderId\":\"B\"}");
            assertThat(next.headers().firstValue("X-Kiln-Start")).hasValue("warm");
            assertThat(text(next)).contains("\"B\"");
        }
    }
}
