package dev.kiln.host.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FunctionSettingsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void settingsStoredBeforeDirectoryGrantsExistedStillRead() throws Exception {
        // The JSON the registry stored before wasiReadOnlyDirs was a setting.
        String old =
                """
                {"handler":"kiln_handle","abi":"kiln","timeoutMs":10000,"memoryMiB":64,
                 "env":{"A":"1"},"description":"","fuel":0,"maxConcurrency":0}
                """;
        FunctionSettings s = JSON.readValue(old, FunctionSettings.class);
        assertThat(s.wasiReadOnlyDirs()).isEmpty();
        assertThat(s.env()).isEqualTo(Map.of("A", "1"));
        // Pool settings came later too: the defaults apply.
        assertThat(s.isolation()).isEqualTo("fresh");
        assertThat(s.minInstances()).isZero();
        assertThat(s.maxInstances()).isZero();
    }

    @Test
    void grantsSurviveARoundTrip() throws Exception {
        var s =
                new FunctionSettings(
                        "kiln_handle",
                        "wasi-cgi",
                        1000,
                        16,
                        Map.of(),
                        "",
                        0,
                        0,
                        Map.of("/data", "/srv/site"),
                        "reuse",
                        1,
                        4,
                        "key",
                        "all");
        FunctionSettings back = JSON.readValue(JSON.writeValueAsString(s), FunctionSettings.class);
        assertThat(back).isEqualTo(s);
    }
}
