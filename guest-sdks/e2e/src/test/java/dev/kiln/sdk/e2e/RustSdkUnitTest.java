package dev.kiln.sdk.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The Rust SDK's own unit tests (JSON, query and header parsing), run on the build machine. */
@Tag("slow") // builds with the Rust toolchain
class RustSdkUnitTest {
    @Test
    void cargoTestPasses() {
        String out =
                SdkBuild.run(
                        SdkBuild.SDKS.resolve("rust"),
                        "rust-unit-tests",
                        List.of("./build.sh", "test"));
        assertThat(out).containsPattern("test result: ok\\. [1-9]\\d* passed; 0 failed");
    }
}
