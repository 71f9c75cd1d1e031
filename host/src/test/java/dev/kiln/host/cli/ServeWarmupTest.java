package dev.kiln.host.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.kiln.host.config.KilnConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * {@code kiln serve}'s warm-up (docs/adr/0083): a throwaway server on a temporary directory answers
 * the training workload, then goes with its directory; of its log lines only the one that says so
 * shows.
 */
class ServeWarmupTest {
    private static long warmupDirectories() throws IOException {
        try (Stream<Path> dirs = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return dirs.filter(d -> d.getFileName().toString().startsWith("kiln-serve-warmup"))
                    .count();
        }
    }

    @Test
    void theWarmUpIsAnsweredByAThrowawayServerThatLeavesOneLineAndNoDirectory() throws Exception {
        Logger kiln = (Logger) LoggerFactory.getLogger("dev.kiln");
        Level testLevel = kiln.getLevel();
        long directoriesBefore = warmupDirectories();
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        kiln.addAppender(lines);
        kiln.setLevel(Level.INFO); // serve's level; the tests' is WARN
        boolean warmed;
        Level after;
        try {
            warmed = ServeWarmup.run(KilnConfig.defaults(), 20);
            after = kiln.getLevel();
        } finally {
            kiln.detachAppender(lines);
            kiln.setLevel(testLevel);
        }

        // true only if every request of the workload got the status it expects
        assertThat(warmed).isTrue();
        assertThat(lines.list)
                .filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.INFO))
                .extracting(ILoggingEvent::getFormattedMessage)
                .singleElement()
                .asString()
                .startsWith("warmed the HTTP request path with 20 requests of each kind in ");
        assertThat(after).isEqualTo(Level.INFO);
        assertThat(warmupDirectories()).isEqualTo(directoriesBefore);
    }

    @Test
    void aNegativeCountIsRefusedBeforeAnythingStarts() {
        var err = new StringWriter();
        int exit =
                new picocli.CommandLine(new KilnCli())
                        .setOut(new PrintWriter(new StringWriter()))
                        .setErr(new PrintWriter(err, true))
                        .execute("serve", "--port", "0", "--warmup-requests", "-1");
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("--warmup-requests must be 0 or more");
    }
}
