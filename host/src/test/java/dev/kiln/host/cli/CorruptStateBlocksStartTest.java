package dev.kiln.host.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * events.db and kiln.db hold state nothing can rebuild (acknowledged events, functions): a corrupt
 * one stops {@code kiln serve} with exit code 1 and one line naming the file, and is left as it was
 * (docs/adr/0030).
 */
class CorruptStateBlocksStartTest {
    @TempDir Path data;

    @ParameterizedTest
    @ValueSource(strings = {"events.db", "kiln.db"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS) // a start that wrongly succeeds serves forever
    void aCorruptStateFileStopsServeWithOneLine(String file) throws Exception {
        byte[] garbage = new byte[16 * 1024];
        new Random(7).nextBytes(garbage);
        Files.write(data.resolve(file), garbage);

        StringWriter err = new StringWriter();
        int exit =
                new CommandLine(new KilnCli())
                        .setOut(new PrintWriter(new StringWriter()))
                        .setErr(new PrintWriter(err))
                        .execute("serve", "--data", data.toString(), "--port", "0");

        assertThat(exit).isEqualTo(1);
        String line = err.toString().strip();
        assertThat(line).doesNotContain("\n").startsWith("kiln serve: ");
        assertThat(line).contains(file).contains("damaged");
        assertThat(Files.readAllBytes(data.resolve(file))).isEqualTo(garbage);
    }
}
