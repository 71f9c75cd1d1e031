package dev.kiln.host.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/**
 * {@code kiln training-run}, the workload {@code ./kiln serve} trains its start-up cache on
 * (docs/adr/0067): it runs a real server twice over and says what it sent.
 */
class TrainingRunCommandTest {
    @Test
    void theTrainingRunDeploysAndInvokesOnTwoServersOfOneDirectory() {
        var out = new StringWriter();
        var err = new StringWriter();
        var cli = KilnCli.commandLine();
        cli.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        int exit = cli.execute("training-run", "--requests", "25");
        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).startsWith("training run: 25 requests of each kind, twice, in ");
    }

    @Test
    void theTrainingRunIsNotListedInTheHelp() {
        var out = new StringWriter();
        var cli = KilnCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        assertThat(cli.execute("--help")).isZero();
        assertThat(out.toString()).contains("serve").doesNotContain("training-run");
    }
}
