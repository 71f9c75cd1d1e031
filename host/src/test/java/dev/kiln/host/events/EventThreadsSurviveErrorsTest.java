package dev.kiln.host.events;

import static dev.kiln.host.testing.TestHost.await;
import static dev.kiln.host.testing.TestHost.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.core.FaultPoint;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dispatcher (leasing), completer and event writer threads survive an Error in their work, and
 * the event they were handling is not left leased: asynchronous events still run afterwards
 * (docs/adr/0030).
 */
class EventThreadsSurviveErrorsTest {
    static final String FN = "/api/v1/services/ev/functions/";
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir Path data;
    TestHost kiln;

    @BeforeEach
    void start() {
        kiln =
                TestHost.start(
                        data,
                        b ->
                                b.eventLimits(
                                        EventLimits.DEFAULTS.toBuilder()
                                                .asyncWorkers(2)
                                                .retryBaseDelay(Duration.ofMillis(20))
                                                .retryMaxDelay(Duration.ofMillis(100))
                                                .build()));
        kiln.deploy("ev", "echo", Wat.fixture("echo"));
    }

    @AfterEach
    void stop() {
        for (FaultPoint f :
                new FaultPoint[] {
                    Dispatcher.LEASER_FAULTS, Dispatcher.COMPLETER_FAULTS, SqliteEventQueue.FAULTS
                }) {
            f.disarm();
        }
        kiln.close();
    }

    /** Sends an async invoke and waits until its event ran with outcome ok and left the queue. */
    void anAsyncEventRuns(String payload) {
        HttpResponse<byte[]> r = kiln.invokeAsync("ev", "echo", payload);
        assertThat(r.statusCode()).isEqualTo(202);
        String id = r.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
        await(
                "event " + id + " to run ok",
                WAIT,
                () -> {
                    var rec = kiln.get(FN + "echo/invocations/" + id);
                    return rec.statusCode() == 200
                            && json(rec).path("outcome").asText().equals("ok");
                });
        await(
                "the queue to empty",
                WAIT,
                () -> json(kiln.get(FN + "echo/queue")).path("depth").asInt() == 0);
    }

    @Test
    void anErrorWhileStartingAnEventRetriesItAndTheDispatcherGoesOn() {
        int before = Dispatcher.LEASER_FAULTS.thrown();
        Dispatcher.LEASER_FAULTS.armOnce(new OutOfMemoryError("injected by the test"));
        anAsyncEventRuns("hit by the fault");
        assertThat(Dispatcher.LEASER_FAULTS.thrown()).isEqualTo(before + 1);
        anAsyncEventRuns("after the fault");
    }

    @Test
    void anErrorWhileCompletingAnEventRunsItAgainAndTheCompleterGoesOn() {
        int before = Dispatcher.COMPLETER_FAULTS.thrown();
        Dispatcher.COMPLETER_FAULTS.armOnce(new OutOfMemoryError("injected by the test"));
        anAsyncEventRuns("hit by the fault");
        assertThat(Dispatcher.COMPLETER_FAULTS.thrown()).isEqualTo(before + 1);
        anAsyncEventRuns("after the fault");
    }

    @Test
    void anErrorInTheEventWritersTransactionFailsThatBatchAndTheWriterGoesOn() {
        int before = SqliteEventQueue.FAULTS.thrown();
        SqliteEventQueue.FAULTS.armOnce(new OutOfMemoryError("injected by the test"));
        // The dispatcher's next lease (at most a second away) goes through the writer.
        await(
                "the fault to be thrown in the writer",
                WAIT,
                () -> SqliteEventQueue.FAULTS.thrown() == before + 1);
        anAsyncEventRuns("after the fault");
        anAsyncEventRuns("and another");
    }
}
