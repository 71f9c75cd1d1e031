package dev.kiln.host.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The README's permission table says what {@link PermissionTable} enforces, row for row. */
class PermissionDocsTest {
    @Test
    void theReadmeHasARowForEveryEntryWithItsActionAndScope() throws Exception {
        List<String> readme = Files.readAllLines(Path.of("..", "README.md"));
        List<String> missing = new ArrayList<>();
        for (var e : PermissionTable.entries().entrySet()) {
            String row =
                    "| `"
                            + e.getKey()
                            + "` | "
                            + e.getValue().action().name().toLowerCase(Locale.ROOT)
                            + " | "
                            + e.getValue().scope().name().toLowerCase(Locale.ROOT).replace('_', '-')
                            + " |";
            if (readme.stream().noneMatch(l -> l.startsWith(row))) {
                missing.add(row);
            }
        }
        assertThat(missing).as("README permission rows missing or different").isEmpty();
        long rows =
                readme.stream()
                        .filter(l -> l.matches("\\| `[A-Z]+ /[^`]*` \\| [a-z]+ \\| [a-z-]+ \\|.*"))
                        .count();
        assertThat(rows).as("README permission rows").isEqualTo(PermissionTable.entries().size());
    }
}
