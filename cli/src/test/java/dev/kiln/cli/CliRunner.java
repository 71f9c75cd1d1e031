package dev.kiln.cli;

import com.dylibso.chicory.wabt.Wat2Wasm;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import picocli.CommandLine;

/** Runs {@code kiln} commands in-process through picocli, capturing what they print. */
final class CliRunner {
    /** One run: exit code, stdout, stderr. */
    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    /** A module echoing its payload and logging it (level info) first. */
    static byte[] echo(String prefix) {
        return Wat2Wasm.parse(
                """
                (module
                  (import "kiln" "log" (func $log (param i32 i32 i32) (result i32)))
                  (memory (export "memory") 1)
                  (data (i32.const 0) "%s")
                  (func (export "kiln_alloc") (param i32) (result i32) (i32.const 1024))
                  (func (export "kiln_handle") (param $p i32) (param $n i32) (result i64)
                    (drop (call $log (i32.const 1) (local.get $p) (local.get $n)))
                    (memory.copy (i32.sub (local.get $p) (i32.const %d)) (i32.const 0) (i32.const %d))
                    (i64.or (i64.shl (i64.extend_i32_u (i32.sub (local.get $p) (i32.const %d))) (i64.const 32))
                            (i64.extend_i32_u (i32.add (local.get $n) (i32.const %d))))))
                """
                        .formatted(
                                prefix,
                                prefix.length(),
                                prefix.length(),
                                prefix.length(),
                                prefix.length()));
    }

    private final Map<String, String> env;

    CliRunner(Map<String, String> env) {
        this.env = env;
    }

    Run run(String... args) {
        return runWithInput("", args);
    }

    Run runWithInput(String stdin, String... args) {
        var out = new ByteArrayOutputStream();
        var err = new StringWriter();
        CliContext context =
                new CliContext(
                        env, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out);
        CommandLine cli = Main.commandLine(context);
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString());
    }

    /** Bounded polling: fails after {@code limit} rather than hanging. */
    static void await(String what, Duration limit, BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
