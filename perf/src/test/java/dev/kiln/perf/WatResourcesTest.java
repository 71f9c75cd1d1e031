package dev.kiln.perf;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** perf/invoke-soak compiles the echo it deploys with {@link WatResources#main}, not wabt. */
class WatResourcesTest {
    @Test
    void theSoaksEchoIsWrittenAsAModuleThatEchoes(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("echo.wasm");

        WatResources.main(new String[] {"/peers/echo.wat", out.toString()});

        Instance echo = Instance.builder(Parser.parse(Files.readAllBytes(out))).build();
        byte[] payload = "hello".getBytes(StandardCharsets.UTF_8);
        int ptr = (int) echo.export("kiln_alloc").apply(payload.length)[0];
        echo.memory().write(ptr, payload);
        long packed = echo.export("kiln_handle").apply(ptr, payload.length)[0];
        assertThat(echo.memory().readBytes((int) (packed >>> 32), (int) packed)).isEqualTo(payload);
    }
}
