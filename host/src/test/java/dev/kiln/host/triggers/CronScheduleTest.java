package dev.kiln.host.triggers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.host.core.KilnException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CronScheduleTest {
    @Test
    void fiveFieldsAreUnixCronAndSixStartWithSeconds() {
        var weekdays = CronSchedule.parse("0 9 * * 1-5", "Europe/Berlin");
        // 2026-01-02 is a Friday; 09:00 in Berlin is 08:00 UTC in winter.
        Instant fri = Instant.parse("2026-01-02T07:00:00Z");
        assertThat(weekdays.nextAfter(fri)).contains(Instant.parse("2026-01-02T08:00:00Z"));
        assertThat(weekdays.nextAfter(Instant.parse("2026-01-02T08:00:00Z")))
                .contains(Instant.parse("2026-01-05T08:00:00Z"));

        var everyFive = CronSchedule.parse("*/5 * * * * *", null);
        Instant t = Instant.parse("2026-01-01T00:00:10.250Z");
        assertThat(everyFive.nextAfter(t)).contains(Instant.parse("2026-01-01T00:00:15Z"));
        assertThat(everyFive.latestAtOrBefore(t)).contains(Instant.parse("2026-01-01T00:00:10Z"));
        assertThat(everyFive.latestAtOrBefore(Instant.parse("2026-01-01T00:00:10Z")))
                .contains(Instant.parse("2026-01-01T00:00:10Z"));
        assertThat(everyFive.latestAtOrBefore(Instant.parse("2026-01-01T00:00:09.999Z")))
                .contains(Instant.parse("2026-01-01T00:00:05Z"));
    }

    @Test
    void badExpressionsAndZonesAreRefused() {
        for (String bad :
                new String[] {
                    "", "* * *", "61 * * * *", "nonsense", "* * * * * * *", "*/0 * * * *"
                }) {
            assertThatThrownBy(() -> CronSchedule.parse(bad, "UTC"))
                    .as(bad)
                    .isInstanceOf(KilnException.class)
                    .hasMessageContaining("cron");
        }
        assertThatThrownBy(() -> CronSchedule.parse("* * * * *", "Mars/Olympus"))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("timezone");
    }
}
