package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.abi.EffectLimits;
import dev.kiln.abi.HostWork;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.WasiCgiUpload;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host work done for a guest is metered and bounded (issue 13 item 4, docs/adr/0027): each hostile
 * guest below makes the host work inside its host calls, and must end with the documented outcome
 * within a bounded time, leaving the host serving. Plus the fuel a timed-out invocation reports
 * (item 9).
 */
class HostWorkTest {
    /** A per-invocation host byte cap small enough that every flood reaches it quickly. */
    static final long SMALL_INVOCATION_CAP = 8L * 1024 * 1024;

    /** Generous bound on how long after its deadline a hostile invocation may still run. */
    static final long SLACK_MS = 3_000;

    @TempDir Path data;
    TestHost kiln;

    private void start(Consumer<dev.kiln.host.config.KilnConfig.Builder> tweak) {
        kiln = TestHost.start(data, tweak);
        var echo = kiln.deploy("probe", "echo", Wat.fixture("echo"));
        assertThat(echo.statusCode()).as(text(echo)).isEqualTo(201);
    }

    private void startWithHostBytes(int perCall, long perInvocation) {
        start(b -> b.effectLimits(EffectLimits.DEFAULTS.withHostBytes(perCall, perInvocation)));
    }

    @AfterEach
    void stop() {
        if (kiln != null) {
            kiln.close();
        }
    }

    private void deployWasi(String function, String fixture, String settings) {
        var r = WasiCgiUpload.deploy(kiln, "hostile", function, Wat.fixture("hostwork/" + fixture));
        assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
        patch(function, settings);
    }

    private void deployKiln(String function, String fixture, String settings) {
        var r = kiln.deploy("hostile", function, Wat.fixture(fixture));
        assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
        patch(function, settings);
    }

    private void patch(String function, String settings) {
        var p = kiln.patch("hostile", function, settings);
        assertThat(p.statusCode()).as(text(p)).isEqualTo(200);
    }

    /** Invokes, checks the error code and that it ended within timeout + slack; returns it. */
    private HttpResponse<byte[]> expect(String function, long timeoutMs, String... codes) {
        long start = System.nanoTime();
        var r = kiln.invoke("hostile", function, "");
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(errorCode(r)).as(text(r)).isIn((Object[]) codes);
        assertThat(ms).as("ms to end %s", function).isLessThan(timeoutMs + SLACK_MS);
        stillServes();
        return r;
    }

    private void stillServes() {
        var r = kiln.invoke("probe", "echo", "still here");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(text(r)).isEqualTo("still here");
    }

    @Test
    void theIssuesReproductionEndsNearItsDeadline() {
        // fd_write to stderr, 1024 vectors of all memory each: ran 12.9 s and answered ok.
        start(b -> {});
        deployWasi("bomb", "stderr_iovec_bomb", "{\"timeoutMs\": 100}");
        expect("bomb", 100, "timeout", "output_limit");
    }

    @Test
    void floodsReachTheInvocationsHostByteCap() {
        startWithHostBytes(EffectLimits.DEFAULT_MAX_HOST_BYTES_PER_CALL, SMALL_INVOCATION_CAP);
        String slow = "{\"timeoutMs\": 60000}";
        deployWasi("stderr", "stderr_iovec_bomb", slow);
        deployWasi("stdout", "stdout_iovec_bomb", slow);
        deployWasi("random", "random_get_loop", slow);
        deployKiln("random-fill", "hostwork/random_fill_loop", slow);
        deployKiln("log", "hostwork/log_flood_big", slow);
        deployKiln("headers", "hostwork/header_flood_big", slow);
        deployKiln("config", "hostwork/config_get_loop", slow);
        for (String f :
                new String[] {
                    "stderr", "stdout", "random", "random-fill", "log", "headers", "config"
                }) {
            var r = expect(f, 60_000, "output_limit");
            if (!f.equals("stdout")) { // stdout's own 6 MiB cap may come first: same code
                assertThat(json(r).path("error").path("message").asText())
                        .contains("host calls moved more than " + SMALL_INVOCATION_CAP);
            }
        }
    }

    @Test
    void hostWorkRunsOutOfFuel() {
        start(b -> {});
        // 1M fuel pays for 8 MiB of stderr; 100M not for one 16 MiB random_get (16 fuel a byte).
        deployWasi("stderr", "stderr_iovec_bomb", "{\"fuel\": 1000000}");
        deployWasi("random", "random_get_loop", "{\"fuel\": 100000000}");
        // Each fd_read at EOF costs a call's fuel: it must not cost 16 MiB of host allocation.
        deployWasi("stdin", "stdin_reread", "{\"fuel\": 1000000}");
        deployKiln("random-fill", "hostwork/random_fill_loop", "{\"fuel\": 10000000}");
        for (String f : new String[] {"stderr", "random", "stdin", "random-fill"}) {
            var r = expect(f, 10_000, "fuel_exhausted");
            assertThat(r.headers().firstValue("X-Kiln-Fuel")).as(f).isPresent();
        }
    }

    @Test
    void hostLoopsEndAtTheDeadline() {
        // Caps and fuel out of the way: only the deadline, checked inside host calls, is left.
        startWithHostBytes(EffectLimits.DEFAULT_MAX_HOST_BYTES_PER_CALL, Long.MAX_VALUE / 4);
        String shortDeadline = "{\"timeoutMs\": 300, \"fuel\": 1000000000000}";
        deployWasi("stderr", "stderr_iovec_bomb", shortDeadline);
        deployWasi("random", "random_get_loop", shortDeadline);
        deployWasi("sleep", "poll_sleep_loop", shortDeadline);
        deployKiln("random-fill", "hostwork/random_fill_loop", shortDeadline);
        deployKiln("log", "hostwork/log_flood_big", shortDeadline);
        for (String f : new String[] {"stderr", "random", "sleep", "random-fill", "log"}) {
            expect(f, 300, "timeout");
        }
    }

    @Test
    void hostWorkBurnsTheSameFuelForTheSameInput() {
        start(b -> {});
        var r =
                kiln.deploy(
                        "hostile",
                        "logger",
                        Wat.compile(
                                """
                                (module
                                  (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
                                  (memory (export "memory") 1)
                                  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 0))
                                  (func (export "kiln_handle") (param i32 i32) (result i64)
                                    (drop (call $log (i32.const 1) (local.get 0) (local.get 1)))
                                    (i64.const 0)))
                                """));
        assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
        long none = fuel(kiln.invoke("hostile", "logger", ""));
        long first = fuel(kiln.invoke("hostile", "logger", "x".repeat(8000)));
        long second = fuel(kiln.invoke("hostile", "logger", "x".repeat(8000)));
        assertThat(second).isEqualTo(first);
        // The guest runs the same instructions; the host read 8000 more bytes: 1 fuel per 8.
        assertThat(first - none).isEqualTo(8000 / HostWork.BYTES_PER_FUEL);
    }

    @Test
    void aTimedOutLoopReportsTheFuelItBurnt() {
        start(b -> {});
        deployKiln("forever", "loop_forever", "{\"timeoutMs\": 300, \"fuel\": 1000000000000}");
        var r = kiln.invoke("hostile", "forever", "");
        assertThat(errorCode(r)).isEqualTo("timeout");
        long reported = fuel(r);
        // 300 ms of a loop that charges every iteration: far more than one write-back interval.
        assertThat(reported).isGreaterThan(1_000_000L);
        String id = r.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
        kiln.host().flushRecords();
        var record = json(kiln.get("/api/v1/services/hostile/functions/forever/invocations/" + id));
        assertThat(record.path("outcome").asText()).isEqualTo("timeout");
        assertThat(record.path("fuel").asLong()).isEqualTo(reported);
        stillServes();
    }

    private static long fuel(HttpResponse<byte[]> r) {
        return Long.parseLong(r.headers().firstValue("X-Kiln-Fuel").orElseThrow());
    }
}
