package dev.kiln.host.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.Wat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Code cached by an earlier Chicory version or rewrite format is deleted when a compiler starts on
 * the directory; the code in use and anything else in the directory stay.
 */
class SupersededCodeTest {
    private static final ModuleRules RULES =
            new ModuleRules("kiln_handle", 16, ModuleLimits.DEFAULTS);
    private static final String ECHO =
            """
            (module (memory (export "memory") 1)
              (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
                (i64.or (i64.shl (i64.extend_i32_u (local.get $p)) (i64.const 32))
                        (i64.extend_i32_u (local.get $n)))))
            """;

    @TempDir Path compiled;

    @Test
    void earlierFormatsAreDeletedAndTheCurrentOneIsKept() throws Exception {
        ModuleCompiler first = new ModuleCompiler(compiled);
        ValidatedModule echo = ModuleValidator.validate(Wat.compile(ECHO), RULES);
        assertThat(first.compile(echo).codeSource()).isEqualTo(CodeSource.COMPILED);
        Path current = onlyCacheDir();

        Path older = Files.createDirectories(compiled.resolve("chicory-1.7.5-fuel-on-memory"));
        Files.write(older.resolve("a.bin"), new byte[4096]);
        Files.write(Files.createDirectories(older.resolve("nested")).resolve("b.bin"), new byte[1]);
        Path otherVersion = Files.createDirectories(compiled.resolve("chicory-1.6.0"));
        Files.write(otherVersion.resolve("c.bin"), new byte[1]);
        Path unrelated = Files.createDirectories(compiled.resolve("notes"));
        Files.writeString(unrelated.resolve("keep.txt"), "mine");
        Path plainFile = Files.writeString(compiled.resolve("chicory-readme.txt"), "mine too");

        assertThat(SupersededCode.prune(current)).isEqualTo(3);
        assertThat(older).doesNotExist();
        assertThat(otherVersion).doesNotExist();
        assertThat(unrelated.resolve("keep.txt")).hasContent("mine");
        assertThat(plainFile).hasContent("mine too");
        assertThat(new ModuleCompiler(compiled).compile(echo).codeSource())
                .as("the current format's code is still on disk")
                .isEqualTo(CodeSource.DISK);
    }

    @Test
    void aCompilerStartingOnTheDirectoryDeletesThemInTheBackground() throws Exception {
        Path older = Files.createDirectories(compiled.resolve("chicory-1.7.5-fuel-on-memory"));
        Files.write(older.resolve("a.bin"), new byte[4096]);
        new ModuleCompiler(compiled);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (Files.exists(older) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(older).doesNotExist();
        assertThat(onlyCacheDir()).isDirectory();
    }

    private Path onlyCacheDir() throws IOException {
        try (Stream<Path> dirs = Files.list(compiled)) {
            return dirs.filter(p -> p.getFileName().toString().startsWith("chicory-"))
                    .reduce(
                            (a, b) -> {
                                throw new AssertionError("two cache directories: " + a + ", " + b);
                            })
                    .orElseThrow();
        }
    }
}
