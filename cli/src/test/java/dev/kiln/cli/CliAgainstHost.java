package dev.kiln.cli;

import dev.kiln.host.KilnHost;
import dev.kiln.host.config.KilnConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real host on a free port for each test, and the CLI pointed at it through its environment
 * (endpoint, admin token, a config directory of its own).
 */
abstract class CliAgainstHost {
    static final String TOKEN = "cli-test-admin-token";

    @TempDir Path data;
    @TempDir Path config;
    @TempDir Path work;
    KilnHost host;
    String endpoint;
    CliRunner kiln;

    @BeforeEach
    void startHost() throws IOException {
        host = KilnHost.start(KilnConfig.builder().port(0).dataDir(data).adminToken(TOKEN).build());
        endpoint = "http://127.0.0.1:" + host.port();
        kiln =
                new CliRunner(
                        Map.of(
                                "KILN_ENDPOINT", endpoint,
                                "KILN_TOKEN", TOKEN,
                                "KILN_CONFIG_DIR", config.toString()));
    }

    @AfterEach
    void stopHost() {
        host.close();
    }
}
