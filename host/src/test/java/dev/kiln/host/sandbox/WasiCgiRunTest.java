package dev.kiln.host.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.abi.EffectLimits;
import dev.kiln.abi.GuestEffects;
import dev.kiln.abi.GuestLogLine;
import dev.kiln.abi.Header;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.abi.InvocationContext;
import dev.kiln.host.core.InvocationOutcome;
import dev.kiln.host.testing.Interrupted;
import dev.kiln.host.testing.Wat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs WAT-written WASI command modules through {@link WasiCgiRun}, each on a new instance; {@link
 * PooledWasiCgiRunTest} runs the same tests on pooled instances, as the host does.
 */
class WasiCgiRunTest {
    static final long BUDGET = 1_000_000_000L;
    static final ModuleRules RULES =
            new ModuleRules("kiln_handle", 16, ModuleLimits.DEFAULTS, Abi.WASI_CGI);

    @TempDir Path tmp;

    CompiledModule compileWat(String wat) {
        return new ModuleCompiler(tmp.resolve("code"))
                .compile(ModuleValidator.validate(Wat.compile(wat), RULES));
    }

    CompiledModule compile(String fixture) {
        byte[] wasm = Wat.fixture("wasi/" + fixture);
        return new ModuleCompiler(tmp.resolve("code"))
                .compile(ModuleValidator.validate(wasm, RULES));
    }

    static InvocationContext invoke() {
        return new InvocationContext(
                "req-1", "svc", "fn", "sha", "invoke", 1234, null, Map.of("GREETING", "hi"));
    }

    private static InvocationContext http(HttpRequestMeta meta, Map<String, String> config) {
        return new InvocationContext("req-2", "svc", "fn", "sha", "http", 1234, meta, config);
    }

    private SandboxResult run(String fixture, InvocationContext context, String stdin) {
        return run(compile(fixture), context, stdin, InvocationLimits.DEFAULTS, BUDGET, Map.of());
    }

    SandboxResult run(
            CompiledModule module,
            InvocationContext context,
            String stdin,
            InvocationLimits limits,
            long budget,
            Map<String, Path> dirs) {
        return WasiCgiRun.run(
                module,
                context,
                stdin.getBytes(StandardCharsets.UTF_8),
                limits,
                budget,
                dirs,
                List.of(tmp));
    }

    static InvocationOutcome.Ok ok(SandboxResult r) {
        assertThat(r.outcome()).isInstanceOf(InvocationOutcome.Ok.class);
        return (InvocationOutcome.Ok) r.outcome();
    }

    static String body(SandboxResult r) {
        return new String(ok(r).body(), StandardCharsets.UTF_8);
    }

    static String failure(SandboxResult r, Class<?> type) {
        assertThat(r.outcome()).isInstanceOf(type);
        return ((InvocationOutcome.Failure) r.outcome()).message();
    }

    @Test
    void helloAnswersWithItsHeaderBlockParsed() {
        SandboxResult r = run("hello", invoke(), "");
        assertThat(ok(r).status()).isEqualTo(200);
        assertThat(ok(r).headers())
                .containsExactly(
                        new Header("content-type", "text/plain"), new Header("x-hello", "wat"));
        assertThat(body(r)).isEqualTo("hello\n");
        assertThat(r.fuel()).isPositive();
    }

    @Test
    void fuelIsDeterministic() {
        CompiledModule m = compile("echo");
        long first = run(m, invoke(), "abc", InvocationLimits.DEFAULTS, BUDGET, Map.of()).fuel();
        long second = run(m, invoke(), "abc", InvocationLimits.DEFAULTS, BUDGET, Map.of()).fuel();
        assertThat(first).isPositive().isEqualTo(second);
    }

    @Test
    void echoCopiesStdinToAPlainBody() {
        String big = "0123456789abcdef".repeat(10_000); // 160 KB: many fd_read rounds
        assertThat(body(run("echo", invoke(), big))).isEqualTo(big);
        assertThat(body(run("echo", invoke(), ""))).isEmpty();
    }

    @Test
    void eachInvocationStartsFromAFreshInstance() {
        CompiledModule m = compile("counter");
        for (int i = 0; i < 3; i++) {
            assertThat(body(run(m, invoke(), "", InvocationLimits.DEFAULTS, BUDGET, Map.of())))
                    .isEqualTo("1 1");
        }
    }

    @Test
    void anEventSeesAPostWithTheConfigAndNoHttpMetadata() {
        String env = body(run("env", invoke(), "four"));
        assertThat(env.lines())
                .startsWith("fn")
                .contains(
                        "GREETING=hi",
                        "REQUEST_METHOD=POST",
                        "PATH_INFO=",
                        "QUERY_STRING=",
                        "CONTENT_LENGTH=4",
                        "SCRIPT_NAME=/fn/svc/fn",
                        "GATEWAY_INTERFACE=CGI/1.1",
                        "SERVER_PROTOCOL=HTTP/1.1",
                        "KILN_TRIGGER=invoke",
                        "KILN_REQUEST_ID=req-1",
                        "KILN_DEADLINE_MS=1234");
        assertThat(env).doesNotContain("HTTP_", "REMOTE_ADDR", "CONTENT_TYPE");
    }

    @Test
    void anHttpRequestSeesCgiVariables() {
        var meta =
                new HttpRequestMeta(
                        "PUT",
                        "/a%20b/c",
                        "x=1&y=2",
                        List.of(
                                new Header("host", "example.test:8443"),
                                new Header("content-type", "text/plain"),
                                new Header("x-trace", "one"),
                                new Header("x-trace", "two"),
                                new Header("proxy", "http://evil"),
                                new Header("x_user", "root")),
                        "HTTP/1.1",
                        "10.1.2.3");
        // A config key may not shadow request metadata.
        String env =
                body(
                        run(
                                compile("env"),
                                http(meta, Map.of("REQUEST_METHOD", "GET", "MODE", "x")),
                                "hello",
                                InvocationLimits.DEFAULTS,
                                BUDGET,
                                Map.of()));
        assertThat(env.lines())
                .contains(
                        "REQUEST_METHOD=PUT",
                        "PATH_INFO=/a b/c",
                        "QUERY_STRING=x=1&y=2",
                        "REQUEST_URI=/fn/svc/fn/a%20b/c?x=1&y=2",
                        "CONTENT_TYPE=text/plain",
                        "CONTENT_LENGTH=5",
                        "SERVER_NAME=example.test",
                        "SERVER_PORT=8443",
                        "REMOTE_ADDR=10.1.2.3",
                        "HTTP_X_TRACE=one, two",
                        "HTTP_HOST=example.test:8443",
                        "MODE=x",
                        "KILN_TRIGGER=http");
        assertThat(env).doesNotContain("HTTP_PROXY", "HTTP_X_USER", "HTTP_CONTENT_TYPE");
    }

    @Test
    void aNonZeroExitIsAGuestErrorWithTheLastStderrLine() {
        SandboxResult r = run("exit", invoke(), "3");
        assertThat(failure(r, InvocationOutcome.GuestError.class))
                .isEqualTo("the function exited with code 3: the order service is unreachable");
        assertThat(r.logs())
                .extracting(GuestLogLine::message)
                .containsExactly("first line", "the order service is unreachable");
    }

    @Test
    void procExitZeroIsSuccessWithWhatWasWritten() {
        assertThat(body(run("exit", invoke(), "0"))).isEqualTo("partial body");
    }

    @Test
    void anInfiniteLoopRunsOutOfFuel() {
        SandboxResult r =
                run(compile("loop"), invoke(), "", InvocationLimits.DEFAULTS, 1_000_000, Map.of());
        failure(r, InvocationOutcome.OutOfFuel.class);
        assertThat(r.fuel()).isEqualTo(1_000_000);
    }

    @Test
    void aSleepingGuestIsCutAtTheDeadline() throws Exception {
        CompiledModule m = compile("sleep");
        Interrupted.after(
                200,
                () -> {
                    long start = System.nanoTime();
                    SandboxResult r =
                            run(m, invoke(), "", InvocationLimits.DEFAULTS, BUDGET, Map.of());
                    failure(r, InvocationOutcome.Timeout.class);
                    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
                            .isLessThan(10_000);
                });
    }

    @Test
    void stdoutOverTheCapIsOutputLimit() {
        var limits = new InvocationLimits(EffectLimits.DEFAULTS, 1024 * 1024);
        SandboxResult r =
                run(compile("flood_stdout"), invoke(), "", limits, Long.MAX_VALUE / 4, Map.of());
        assertThat(failure(r, InvocationOutcome.OutputLimit.class)).contains("1048576");
    }

    @Test
    void aStderrFloodIsTruncatedWithTheMarker() {
        SandboxResult r = run("flood_stderr", invoke(), "");
        assertThat(body(r)).isEqualTo("done");
        assertThat(r.logTruncated()).isTrue();
        assertThat(r.logs()).hasSize(EffectLimits.DEFAULTS.maxLogLines() + 1);
        assertThat(r.logs().get(r.logs().size() - 1).message())
                .isEqualTo(GuestEffects.LOG_TRUNCATED_MARKER);
    }

    @Test
    void aTrapIsATrapAndItsPartialOutputIsDropped() {
        SandboxResult r = run("trap", invoke(), "");
        assertThat(failure(r, InvocationOutcome.Trap.class)).contains("unreachable");
    }

    @Test
    void vectorsOutsideMemoryGetEfaultNotAHostAllocation() {
        assertThat(body(run("bad_iovs", invoke(), ""))).isEqualTo("read=21 write=21");
    }

    @Test
    void withoutAGrantThereIsNoDirectoryToOpen() {
        // fd 3 does not exist: EBADF (8).
        assertThat(body(run("files", invoke(), "r/etc/passwd"))).isEqualTo("errno=08");
        assertThat(body(run("files", invoke(), "retc/passwd"))).isEqualTo("errno=08");
    }

    @Test
    void aGrantedDirectoryIsReadOnlyAndClosedAtItsRoot() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("site"));
        Files.writeString(root.resolve("index.txt"), "welcome");
        Path secret = Files.writeString(tmp.resolve("secret.txt"), "top secret");
        Files.createSymbolicLink(root.resolve("escape"), secret);
        Files.createDirectories(root.resolve("sub"));
        Files.createSymbolicLink(root.resolve("sub/up"), tmp);
        CompiledModule m = compile("files");
        Map<String, Path> dirs = Map.of("/site", root);
        var limits = InvocationLimits.DEFAULTS;
        assertThat(body(run(m, invoke(), "rindex.txt", limits, BUDGET, dirs))).isEqualTo("welcome");
        // Lexical escapes (Chicory: EPERM 63), symlinks out (ENOTCAPABLE 76), writes (EROFS 69).
        assertThat(body(run(m, invoke(), "r../secret.txt", limits, BUDGET, dirs)))
                .isEqualTo("errno=63");
        assertThat(body(run(m, invoke(), "rescape", limits, BUDGET, dirs))).isEqualTo("errno=76");
        assertThat(body(run(m, invoke(), "rsub/up/secret.txt", limits, BUDGET, dirs)))
                .isEqualTo("errno=76");
        assertThat(body(run(m, invoke(), "windex.txt", limits, BUDGET, dirs)))
                .isEqualTo("errno=69");
        assertThat(body(run(m, invoke(), "wnew.txt", limits, BUDGET, dirs))).isEqualTo("errno=69");
        assertThat(body(run(m, invoke(), "dindex.txt", limits, BUDGET, dirs)))
                .isEqualTo("errno=69");
        assertThat(Files.readString(root.resolve("index.txt"))).isEqualTo("welcome");
        assertThat(root.resolve("new.txt")).doesNotExist();
    }

    @Test
    void aStartFunctionIsChargedToTheInvocation() {
        String wat =
                """
                (module
                  (memory (export "memory") 1)
                  (global $n (mut i32) (i32.const 0))
                  (func $burn
                    (loop $l
                      (global.set $n (i32.add (global.get $n) (i32.const 1)))
                      (br_if $l (i32.lt_u (global.get $n) (i32.const 1000)))))
                  (start $burn)
                  (func (export "_start")))
                """;
        var module = compileWat(wat);
        SandboxResult r = run(module, invoke(), "", InvocationLimits.DEFAULTS, BUDGET, Map.of());
        ok(r);
        assertThat(r.fuel()).isGreaterThan(1000);
    }

    @Test
    void aTrapAfterARefusedGrowIsMemoryLimit() {
        String wat =
                """
                (module
                  (memory (export "memory") 1)
                  (func (export "_start")
                    (drop (memory.grow (i32.const 1000)))
                    unreachable))
                """;
        var module = compileWat(wat);
        SandboxResult r = run(module, invoke(), "", InvocationLimits.DEFAULTS, BUDGET, Map.of());
        assertThat(failure(r, InvocationOutcome.MemoryLimit.class))
                .contains("memory.grow of 1000 pages was refused")
                .contains("unreachable");
    }
}
