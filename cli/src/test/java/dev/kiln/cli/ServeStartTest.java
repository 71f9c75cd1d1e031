package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.KilnHost;
import dev.kiln.host.cli.LogFormat;
import dev.kiln.host.config.KilnConfig;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln serve} that cannot start says why in one line and exits non-zero. */
class ServeStartTest {
    @TempDir Path data;
    private final CliRunner kiln = new CliRunner(Map.of());

    @AfterEach
    void clearProperty() {
        System.clearProperty("KILN_LOG_FORMAT");
    }

    @Test
    void aPortInUseIsOneLine() throws Exception {
        try (var busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            var r =
                    kiln.run(
                            "serve",
                            "--port",
                            Integer.toString(busy.getLocalPort()),
                            "--data",
                            data.toString());
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err().strip())
                    .startsWith("kiln serve: ")
                    .containsIgnoringCase("address already in use")
                    .doesNotContain("\n")
                    .doesNotContain("\tat ");
        }
    }

    @Test
    void aDataDirectoryAnotherHostHoldsIsOneLine() throws Exception {
        try (KilnHost other =
                KilnHost.start(
                        KilnConfig.builder().port(0).dataDir(data).adminToken("t").build())) {
            var r = kiln.run("serve", "--port", "0", "--data", data.toString());
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err().strip())
                    .startsWith("kiln serve: ")
                    .contains(data.toString())
                    .doesNotContain("\n");
            assertThat(other.port()).isPositive();
        }
    }

    @Test
    void badFlagsAreOneLineWithExit2() {
        var r = kiln.run("serve", "--port", "eighty");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("error: invalid_arguments: ").doesNotContain("\n");
        r = kiln.run("serve", "--log-format", "yaml");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--log-format");
    }

    @Test
    void theLogFormatIsTheFlagsElseTheEnvironmentsElseTextOnATerminal() {
        LogFormat.choose(new String[] {"serve", "--log-format", "json"}, Map.of(), true);
        assertThat(System.getProperty("KILN_LOG_FORMAT")).isEqualTo("JSON");
        LogFormat.choose(new String[] {"serve", "--log-format=text"}, Map.of(), false);
        assertThat(System.getProperty("KILN_LOG_FORMAT")).isEqualTo("TEXT");
        LogFormat.choose(new String[] {"serve"}, Map.of("KILN_LOG_FORMAT", "json"), true);
        assertThat(System.getProperty("KILN_LOG_FORMAT")).isEqualTo("JSON");
        LogFormat.choose(new String[] {"serve"}, Map.of(), true);
        assertThat(System.getProperty("KILN_LOG_FORMAT")).isEqualTo("TEXT");
        LogFormat.choose(new String[] {"serve"}, Map.of(), false);
        assertThat(System.getProperty("KILN_LOG_FORMAT")).isEqualTo("JSON");
    }
}
