package dev.kiln.host.triggers;

import static dev.kiln.host.testing.TestHost.await;
import static dev.kiln.host.testing.TestHost.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The timer thread survives an Error in its work and keeps firing (docs/adr/0030). */
class TimerSurvivesErrorTest {
    static final String FN = "/api/v1/services/clock/functions/";
    static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir Path data;
    TestHost kiln;

    @AfterEach
    void stop() {
        TimerScheduler.FAULTS.disarm();
        if (kiln != null) {
            kiln.close();
        }
    }

    int fires() {
        return json(kiln.get(FN + "tick/invocations")).path("invocations").size();
    }

    @Test
    void aTimerStillFiresAfterAnOutOfMemoryErrorInTheTimerThread() {
        kiln = TestHost.start(data);
        kiln.deploy("clock", "tick", Wat.fixture("echo"));
        int thrownBefore = TimerScheduler.FAULTS.thrown();
        TimerScheduler.FAULTS.armOnce(new OutOfMemoryError("injected by the test"));
        var t =
                kiln.sendJson(
                        "POST",
                        FN + "tick/triggers",
                        "{\"id\":\"s\",\"type\":\"timer\",\"cron\":\"* * * * * *\"}");
        assertThat(t.statusCode()).isEqualTo(201);
        await(
                "the fault to be thrown in the timer thread",
                WAIT,
                () -> TimerScheduler.FAULTS.thrown() == thrownBefore + 1);
        kiln.host().flushRecords();
        int afterFault = fires();
        await("two more fires", WAIT, () -> fires() >= afterFault + 2);
    }
}
