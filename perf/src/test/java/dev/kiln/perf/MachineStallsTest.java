package dev.kiln.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The stall probe that qualifies perf/ measurements sees a core taken away, and only that. */
class MachineStallsTest {
    private static final Pattern LONGEST = Pattern.compile("longest ([0-9.]+) ms, ([0-9.]+) %");

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aProcessStoppedWhileItSpinsReportsOneLongStallAndCallsTheMachineNotQuiet()
            throws Exception {
        Process probe =
                new ProcessBuilder(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-cp",
                                System.getProperty(
                                        "surefire.test.class.path",
                                        System.getProperty("java.class.path")),
                                MachineStalls.class.getName(),
                                "1",
                                "3s")
                        .redirectErrorStream(true)
                        .start();
        try (BufferedReader out =
                new BufferedReader(
                        new InputStreamReader(probe.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("measuring");
            Thread.sleep(300);
            signal("STOP", probe.pid());
            Thread.sleep(400);
            signal("CONT", probe.pid());
            String report = out.readLine();
            assertThat(probe.waitFor(30, TimeUnit.SECONDS)).isTrue();

            assertThat(report)
                    .startsWith("1 threads spinning 3.0 s each: ")
                    .endsWith("not quiet (tail latencies are the machine's)");
            Matcher m = LONGEST.matcher(report);
            assertThat(m.find()).as(report).isTrue();
            // Stopped for 400 ms of 3 s: one gap of at least that (less the signals' own lag).
            assertThat(Double.parseDouble(m.group(1))).isGreaterThanOrEqualTo(350);
            assertThat(Double.parseDouble(m.group(2))).isGreaterThanOrEqualTo(11.0);
        } finally {
            probe.destroyForcibly();
        }
    }

    @Test
    void onlyGapsOverAMillisecondCountAsStalls() {
        MachineStalls.Gaps gaps = new MachineStalls.Gaps();
        gaps.gap(40);
        gaps.gap(1_000_000);
        gaps.gap(1_000_001);
        gaps.gap(5_000_000);

        assertThat(gaps.count).isEqualTo(2);
        assertThat(gaps.longest).isEqualTo(5_000_000);
        assertThat(gaps.total).isEqualTo(6_000_001);
    }

    @Test
    void aMachineStalledForAPercentOfTheTimeIsNotQuiet() {
        MachineStalls rare = new MachineStalls(2, 10, 20, 3.0, 0.4);
        MachineStalls often = new MachineStalls(2, 10, 227, 5.4, 1.8);

        assertThat(rare.quiet()).isTrue();
        assertThat(rare.describe())
                .isEqualTo(
                        "2 threads spinning 10.0 s each: 20 stalls over 1 ms (1.0 a second per"
                                + " thread), longest 3.0 ms, 0.40 % of the time stalled");
        assertThat(often.quiet()).isFalse();
        assertThat(often.describe()).endsWith(": not quiet (tail latencies are the machine's)");
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }
}
