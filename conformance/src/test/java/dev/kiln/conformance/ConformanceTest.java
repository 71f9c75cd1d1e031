package dev.kiln.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.KilnHost;
import dev.kiln.host.config.KilnConfig;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs every case folder against a host this test starts on a free port. */
class ConformanceTest {
    static final Path CASES = Path.of("cases");

    @Test
    void everyCasePasses(@TempDir Path data) throws Exception {
        var config =
                KilnConfig.builder().port(0).dataDir(data).adminToken("conformance-token").build();
        try (KilnHost host = KilnHost.start(config)) {
            ConformanceSuite suite = ConformanceSuite.load(CASES, null);
            assertThat(suite.names()).isNotEmpty();
            Report report =
                    suite.run(
                            URI.create("http://127.0.0.1:" + host.port()), "conformance-token", 4);
            report.print(System.out);
            report.writeJUnitXml(Path.of("target", "conformance-results.xml"));
            assertThat(report.failures()).isEmpty();
            assertThat(report.passed()).isEqualTo(suite.names().size());
        }
    }
}
