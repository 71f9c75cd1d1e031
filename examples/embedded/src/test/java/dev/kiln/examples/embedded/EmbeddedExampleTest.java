package dev.kiln.examples.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example as a user runs it: deploys the bundled module, greets every name. */
class EmbeddedExampleTest {
    @TempDir Path data;

    @Test
    void greetsEachNameInProcess() throws Exception {
        var out = new ByteArrayOutputStream();
        int exit =
                EmbeddedExample.run(
                        data,
                        new String[] {"Ada", "Grace"},
                        new PrintStream(out, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(printed).isZero();
        assertThat(printed)
                .contains("deployed demo/hello version 1")
                .contains("Hello, Ada!")
                .contains("Hello, Grace!");
    }
}
