package dev.kiln.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.KilnHost;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.deploy.UploadLimits;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the case folders against a host this test starts on a free port: every area except the
 * hostile and upload corpora, which {@link HostileCorpusTest} and {@link UploadCorpusTest} run with
 * checks of their own. {@code -Dconformance.filter='http/*'} narrows the run (all areas) while
 * working on cases.
 */
@Tag("slow") // every conformance case
class ConformanceTest {
    static final Path CASES = Path.of("cases");
    static final String TOKEN = "conformance-token";
    static final Set<String> HOSTILE = Set.of("limits", "errors");
    static final Set<String> UPLOAD = Set.of("upload");

    @Test
    void everyCasePasses(@TempDir Path data) throws Exception {
        String filter = System.getProperty("conformance.filter");
        ConformanceSuite suite = ConformanceSuite.load(CASES, filter);
        if (filter == null) {
            Set<String> corpora = new HashSet<>(HOSTILE);
            corpora.addAll(UPLOAD);
            suite = suite.areas(corpora, false);
        }
        assertThat(suite.names()).isNotEmpty();
        try (KilnHost host = KilnHost.start(config(data))) {
            Report report = suite.run(uri(host), TOKEN, 4);
            report.print(System.out);
            report.writeJUnitXml(Path.of("target", "conformance-results.xml"));
            assertAllPassed(report, suite);
        }
    }

    @Test
    void theCorporaHoldAtLeastThirtyCasesEach() throws Exception {
        var all = ConformanceSuite.load(CASES, null);
        assertThat(all.areas(HOSTILE, true).names()).hasSizeGreaterThanOrEqualTo(30);
        assertThat(all.areas(UPLOAD, true).names()).hasSizeGreaterThanOrEqualTo(30);
        assertThat(all.names()).hasSizeGreaterThanOrEqualTo(100);
    }

    /**
     * The host's upload deadline is 10 minutes, not 60 s: the python/ cases upload the 11.5 MB
     * CPython runtime, whose first compile takes 15-90 s on a 2-core machine (docs/adr/0050).
     */
    static KilnConfig config(Path data) {
        return KilnConfig.builder()
                .port(0)
                .dataDir(data)
                .adminToken(TOKEN)
                .uploadLimits(
                        new UploadLimits(
                                UploadLimits.DEFAULTS.maxConcurrentUploads(),
                                UploadLimits.DEFAULTS.uploadQueue(),
                                Duration.ofMinutes(10)))
                .build();
    }

    static URI uri(KilnHost host) {
        return URI.create("http://127.0.0.1:" + host.port());
    }

    /** Every case passed or was skipped for a known issue: this host has every feature. */
    static void assertAllPassed(Report report, ConformanceSuite suite) {
        assertThat(report.failures()).isEmpty();
        assertThat(report.skips()).noneMatch(s -> s.contains("target lacks"));
        assertThat(report.passed() + report.skipped()).isEqualTo(suite.names().size());
    }
}
