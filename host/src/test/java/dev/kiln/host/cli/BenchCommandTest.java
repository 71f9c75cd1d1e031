package dev.kiln.host.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.Wat;
import dev.kiln.loadgen.LoadResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code kiln bench} against a real host on a free port: counts and percentile order, not speed.
 */
class BenchCommandTest {
    @TempDir static Path data;
    static TestHost host;

    @BeforeAll
    static void start() {
        host = TestHost.start(data);
        assertThat(host.deploy("demo", "echo", Wat.fixture("echo")).statusCode()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        host.close();
    }

    /** Runs {@code kiln bench ARGS}; returns the command, its exit code and what it printed. */
    record Run(BenchCommand command, int exit, String out, String err) {}

    static Run bench(String... args) {
        BenchCommand command = new BenchCommand();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli =
                new CommandLine(command).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--target", "http://127.0.0.1:" + host.host().port()));
        int exit = cli.execute(all.toArray(String[]::new));
        return new Run(command, exit, out.toString(), err.toString());
    }

    private static void assertOrderedPercentiles(LoadResult r) {
        var p = r.percentiles();
        assertThat(p.p50()).isPositive();
        assertThat(p.p50()).isLessThanOrEqualTo(p.p90());
        assertThat(p.p90()).isLessThanOrEqualTo(p.p99());
        assertThat(p.p99()).isLessThanOrEqualTo(p.p999());
        assertThat(p.p999()).isLessThanOrEqualTo(p.max());
    }

    @Test
    void closedLoopThroughInvokePrintsPercentilesAndAHistogram() {
        Run run =
                bench(
                        "demo/echo",
                        "--token",
                        TestHost.TOKEN,
                        "--connections",
                        "4",
                        "--duration",
                        "1s",
                        "--warmup",
                        "200ms",
                        "--payload",
                        "ping");
        assertThat(run.exit()).as(run.err()).isZero();
        LoadResult r = run.command().lastResult();
        long recorded = r.latency().getTotalCount();
        assertThat(recorded).isPositive();
        // Every recorded response was a 200, and every one is in the histogram.
        assertThat(r.statuses())
                .containsExactly(org.assertj.core.api.Assertions.entry(200, recorded));
        assertThat(r.ioErrors()).isZero();
        assertThat(r.unfinished()).isZero();
        assertOrderedPercentiles(r);
        assertThat(run.out())
                .contains("closed loop, 4 connections", "p50", "p99.9", "200: " + recorded)
                .contains("latency histogram:", "100.00%");
    }

    @Test
    void openLoopThroughTheHttpTriggerSendsTheRequestedRate(@TempDir Path dir) throws Exception {
        Path hgrm = dir.resolve("bench.hgrm");
        Run run =
                bench(
                        "demo/echo",
                        "--http",
                        "--rate",
                        "100",
                        "--connections",
                        "2",
                        "--duration",
                        "1s",
                        "--warmup",
                        "0s",
                        "--hgrm",
                        hgrm.toString());
        assertThat(run.exit()).as(run.err()).isZero();
        LoadResult r = run.command().lastResult();
        // 100 requests were due in the 1 s window; each is recorded once it is answered.
        assertThat(r.latency().getTotalCount()).isBetween(95L, 100L);
        assertThat(r.statuses()).containsOnlyKeys(200);
        assertOrderedPercentiles(r);
        assertThat(run.out()).contains("open loop at 100 req/s");
        assertThat(Files.readString(hgrm)).contains("Percentile");
    }

    @Test
    void aMissingFunctionOrWrongTokenIsOneClearMessage() {
        Run missing = bench("demo/nope", "--token", TestHost.TOKEN, "--duration", "1s");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("404", "function_not_found");
        assertThat(missing.command().lastResult()).isNull();

        Run badToken = bench("demo/echo", "--token", "wrong", "--duration", "1s");
        assertThat(badToken.exit()).isEqualTo(1);
        assertThat(badToken.err()).contains("401", "unauthorized");
    }

    @Test
    void refusesOtherHostsAndBadArguments() {
        BenchCommand command = new BenchCommand();
        StringWriter err = new StringWriter();
        int exit =
                new CommandLine(command)
                        .setErr(new PrintWriter(err))
                        .execute("demo/echo", "--http", "--target", "http://10.0.0.1:8080");
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("only targets 127.0.0.1");

        assertThat(bench("just-a-name", "--http").exit()).isEqualTo(2);
        assertThat(bench("demo/echo", "--http", "--duration", "soon").err())
                .contains("not a duration");
    }
}
