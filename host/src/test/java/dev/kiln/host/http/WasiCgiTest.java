package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.testing.TestHost;
import dev.kiln.host.testing.WasiCgiUpload;
import dev.kiln.host.testing.Wat;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wasi-cgi ABI over a real socket: upload rules, both triggers, hostile guests, grants. */
class WasiCgiTest {
    @TempDir Path data;
    @TempDir Path files;
    TestHost kiln;

    @BeforeEach
    void start() {
        kiln = TestHost.start(data, b -> b.wasiDirRoots(List.of(files)));
    }

    @AfterEach
    void stop() {
        kiln.close();
    }

    private static byte[] wasi(String name) {
        return Wat.fixture("wasi/" + name);
    }

    private HttpResponse<byte[]> deploy(String function, String fixture) {
        var r = WasiCgiUpload.deploy(kiln, "cgi", function, wasi(fixture));
        assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
        return r;
    }

    private HttpResponse<byte[]> get(String path) {
        return kiln.send(kiln.request(path).GET().build());
    }

    private void stillServes() {
        var hello = get("/fn/cgi/hello/");
        assertThat(hello.statusCode()).isEqualTo(200);
        assertThat(text(hello)).isEqualTo("hello\n");
    }

    @Test
    void helloOverTheHttpTriggerUsesItsCgiHeaders() {
        var deployed = deploy("hello", "hello");
        assertThat(json(deployed).path("settings").path("abi").asText()).isEqualTo("wasi-cgi");
        for (int i = 0; i < 3; i++) {
            var r = get("/fn/cgi/hello/any/path?x=1");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValue("text/plain");
            assertThat(r.headers().firstValue("x-hello")).hasValue("wat");
            assertThat(text(r)).isEqualTo("hello\n");
            // Instantiated at upload; that instance serves each request, reset after each.
            assertThat(r.headers().firstValue("X-Kiln-Start")).hasValue("pool");
            assertThat(r.headers().firstValue("X-Kiln-Fuel")).get().asString().matches("[1-9]\\d*");
        }
    }

    @Test
    void aPooledCommandSeesNothingOfTheRequestsBeforeIt() {
        deploy("hello", "hello");
        deploy("counter", "counter");
        for (int i = 0; i < 3; i++) {
            var r = kiln.invoke("cgi", "counter", "");
            assertThat(text(r)).isEqualTo("1 1");
            assertThat(r.headers().firstValue("X-Kiln-Start")).hasValue("pool");
        }
        // A guest error discards its instance; the next request gets a new one, then pools again.
        deploy("exit", "exit");
        assertThat(errorCode(kiln.invoke("cgi", "exit", "2"))).isEqualTo("guest_error");
        var after = kiln.invoke("cgi", "exit", "0");
        assertThat(text(after)).isEqualTo("partial body");
        assertThat(after.headers().firstValue("X-Kiln-Start")).hasValue("warm");
        var again = kiln.invoke("cgi", "exit", "0");
        assertThat(again.headers().firstValue("X-Kiln-Start")).hasValue("pool");
        stillServes();
    }

    @Test
    void anInvokeGetsTheBodyWithoutTheHeaderBlock() {
        deploy("hello", "hello");
        var r = kiln.invoke("cgi", "hello", "event");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(text(r)).isEqualTo("hello\n");
        assertThat(r.headers().firstValue("content-type")).hasValue("application/octet-stream");
        assertThat(r.headers().firstValue("x-hello")).isEmpty();
    }

    @Test
    void theEnvironmentDescribesTheRealRequest() {
        deploy("env", "env");
        kiln.patch("cgi", "env", "{\"env\":{\"GREETING\":\"hi\"}}");
        var r =
                kiln.send(
                        kiln.request("/fn/cgi/env/items/42?sort=asc")
                                .header("X-Trace", "abc")
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                .build());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(text(r).lines())
                .startsWith("env")
                .contains(
                        "REQUEST_METHOD=POST",
                        "PATH_INFO=/items/42",
                        "QUERY_STRING=sort=asc",
                        "SCRIPT_NAME=/fn/cgi/env",
                        "CONTENT_TYPE=application/json",
                        "CONTENT_LENGTH=2",
                        "SERVER_PROTOCOL=HTTP/1.1",
                        "SERVER_NAME=127.0.0.1",
                        "SERVER_PORT=" + kiln.host().port(),
                        "REMOTE_ADDR=127.0.0.1",
                        "HTTP_X_TRACE=abc",
                        "GREETING=hi",
                        "KILN_FUNCTION=env",
                        "KILN_REQUEST_ID="
                                + r.headers().firstValue("X-Kiln-Request-Id").orElseThrow());
        // The invoke API's admin token never reaches the guest.
        var event = kiln.invoke("cgi", "env", "x");
        assertThat(text(event))
                .doesNotContain("HTTP_", TestHost.TOKEN)
                .contains("KILN_TRIGGER=invoke");
    }

    @Test
    void theKilnAbiStillRefusesWasiAndWasiCgiRefusesEverythingElse() {
        // A bare module upload has abi kiln: WASI imports are refused.
        var bare = kiln.deploy("cgi", "bare", wasi("hello"));
        assertThat(errorCode(bare)).isEqualTo("invalid_module");
        assertThat(text(bare)).contains("wasi_snapshot_preview1");
        // A kiln module under wasi-cgi: no _start.
        var kilnModule = WasiCgiUpload.deploy(kiln, "cgi", "k", Wat.fixture("echo"));
        assertThat(errorCode(kilnModule)).isEqualTo("invalid_module");
        assertThat(text(kilnModule)).contains("_start");
        // WASI functions Chicory does not implement (sockets) and foreign modules.
        String sockets =
                """
                (module
                  (import "wasi_snapshot_preview1" "sock_accept"
                    (func (param i32 i32 i32) (result i32)))
                  (memory (export "memory") 1)
                  (func (export "_start")))
                """;
        var sock = WasiCgiUpload.deploy(kiln, "cgi", "sock", Wat.compile(sockets));
        assertThat(errorCode(sock)).isEqualTo("invalid_module");
        assertThat(text(sock)).contains("sock_accept", "not supported");
        String mixed =
                """
                (module
                  (import "kiln" "log" (func (param i32 i32 i32) (result i32)))
                  (memory (export "memory") 1)
                  (func (export "_start")))
                """;
        var foreign = WasiCgiUpload.deploy(kiln, "cgi", "mixed", Wat.compile(mixed));
        assertThat(errorCode(foreign)).isEqualTo("invalid_module");
        assertThat(text(foreign)).contains("kiln.log");
        String wrongType =
                """
                (module
                  (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))
                  (memory (export "memory") 1)
                  (func (export "_start")))
                """;
        var wrong = WasiCgiUpload.deploy(kiln, "cgi", "wrong", Wat.compile(wrongType));
        assertThat(text(wrong)).contains("fd_write", "signature");
        for (String f : List.of("bare", "k", "sock", "mixed", "wrong")) {
            assertThat(kiln.get("/api/v1/services/cgi/functions/" + f).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void switchingAbiByPatchRevalidatesTheStoredModule() {
        kiln.deploy("cgi", "echo", Wat.fixture("echo"));
        var toWasi = kiln.patch("cgi", "echo", "{\"abi\":\"wasi-cgi\"}");
        assertThat(toWasi.statusCode()).isEqualTo(400);
        assertThat(errorCode(toWasi)).isEqualTo("bad_request");
        assertThat(text(toWasi)).contains("_start");
        assertThat(text(kiln.invoke("cgi", "echo", "still kiln"))).isEqualTo("still kiln");

        deploy("hello", "hello");
        var toKiln = kiln.patch("cgi", "hello", "{\"abi\":\"kiln\"}");
        assertThat(errorCode(toKiln)).isEqualTo("bad_request");
        assertThat(text(toKiln)).contains("wasi_snapshot_preview1");
        var unknown = kiln.patch("cgi", "hello", "{\"abi\":\"wasi-p2\"}");
        assertThat(errorCode(unknown)).isEqualTo("bad_request");
        assertThat(text(unknown)).contains("kiln, wasi-cgi");
        assertThat(
                        json(kiln.get("/api/v1/services/cgi/functions/hello"))
                                .path("settings")
                                .path("abi")
                                .asText())
                .isEqualTo("wasi-cgi");
        stillServes();

        // A new upload may change both at once: a zip whose kiln.json names the abi.
        var replaced =
                kiln.send(
                        kiln.admin("/api/v1/services/cgi/functions/echo")
                                .header("Content-Type", "application/zip")
                                .PUT(
                                        HttpRequest.BodyPublishers.ofByteArray(
                                                WasiCgiUpload.zip(wasi("echo"), "")))
                                .build());
        assertThat(replaced.statusCode()).isEqualTo(200);
        assertThat(text(kiln.invoke("cgi", "echo", "now wasi"))).isEqualTo("now wasi");
    }

    @Test
    void hostileGuestsGetTheirErrorCodesAndTheHostKeepsServing() {
        deploy("hello", "hello");
        deploy("loop", "loop");
        kiln.patch("cgi", "loop", "{\"fuel\":5000000,\"timeoutMs\":60000}");
        var loop = kiln.invoke("cgi", "loop", "");
        assertThat(errorCode(loop)).isEqualTo("fuel_exhausted");
        assertThat(loop.headers().firstValue("X-Kiln-Fuel")).hasValue("5000000");
        stillServes();

        deploy("sleep", "sleep");
        kiln.patch("cgi", "sleep", "{\"timeoutMs\":300}");
        var sleep = kiln.invoke("cgi", "sleep", "");
        assertThat(sleep.statusCode()).isEqualTo(504);
        assertThat(errorCode(sleep)).isEqualTo("timeout");
        stillServes();

        deploy("flood", "flood_stdout");
        var flood = kiln.invoke("cgi", "flood", "");
        assertThat(flood.statusCode()).isEqualTo(500);
        assertThat(errorCode(flood)).isEqualTo("output_limit");
        stillServes();

        deploy("exit", "exit");
        var exit = kiln.invoke("cgi", "exit", "1");
        assertThat(errorCode(exit)).isEqualTo("guest_error");
        assertThat(json(exit).path("error").path("message").asText())
                .isEqualTo("the function exited with code 1: the order service is unreachable");
        stillServes();

        deploy("trap", "trap");
        var trap = kiln.invoke("cgi", "trap", "");
        assertThat(errorCode(trap)).isEqualTo("guest_trap");
        assertThat(text(trap)).doesNotContain("Exception", "dev.kiln", "chicory");
        stillServes();

        deploy("files", "files");
        assertThat(text(kiln.invoke("cgi", "files", "r/etc/passwd"))).isEqualTo("errno=08");
        assertThat(text(kiln.invoke("cgi", "files", "r../../../etc/passwd"))).isEqualTo("errno=08");
        deploy("iovs", "bad_iovs");
        assertThat(text(kiln.invoke("cgi", "iovs", ""))).isEqualTo("read=21 write=21");
        stillServes();
    }

    @Test
    void stderrLinesAreTheFunctionsLogsTruncatedLikeKilnLogs() {
        deploy("exit", "exit");
        var r = kiln.invoke("cgi", "exit", "2");
        String id = r.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
        deploy("flood", "flood_stderr");
        var flood = kiln.invoke("cgi", "flood", "");
        assertThat(text(flood)).isEqualTo("done");
        String floodId = flood.headers().firstValue("X-Kiln-Request-Id").orElseThrow();
        kiln.host().flushRecords();

        JsonNode rec = json(kiln.get("/api/v1/services/cgi/functions/exit/invocations/" + id));
        assertThat(rec.path("outcome").asText()).isEqualTo("guest_error");
        assertThat(rec.path("logs").get(0).path("message").asText()).isEqualTo("first line");
        assertThat(rec.path("logs").get(1).path("message").asText())
                .isEqualTo("the order service is unreachable");
        assertThat(rec.path("logs").get(1).path("level").asText()).isEqualTo("info");

        JsonNode flooded =
                json(kiln.get("/api/v1/services/cgi/functions/flood/invocations/" + floodId));
        assertThat(flooded.path("logTruncated").asBoolean()).isTrue();
        assertThat(flooded.path("logs")).hasSize(1001);
        assertThat(flooded.path("logs").get(1000).path("message").asText())
                .isEqualTo("[kiln: log truncated]");
    }

    @Test
    void onlyAnAdministratorsPatchGrantsADirectoryInsideTheHostsRoots() throws Exception {
        Path site = Files.createDirectories(files.resolve("site"));
        Files.writeString(site.resolve("index.txt"), "welcome");
        deploy("files", "files");
        String grant = "{\"wasiReadOnlyDirs\":{\"/site\":\"" + site + "\"}}";

        // Not from a code package's kiln.json.
        var packaged =
                WasiCgiUpload.deploy(
                        kiln,
                        "cgi",
                        "packaged",
                        wasi("files"),
                        ",\"wasiReadOnlyDirs\":{\"/site\":\"" + site + "\"}");
        assertThat(errorCode(packaged)).isEqualTo("invalid_module");
        assertThat(text(packaged)).contains("PATCH");

        // Not outside the host's roots, not for the kiln ABI.
        var outside = kiln.patch("cgi", "files", "{\"wasiReadOnlyDirs\":{\"/etc\":\"/etc\"}}");
        assertThat(errorCode(outside)).isEqualTo("bad_request");
        assertThat(text(outside)).contains("--wasi-dir-root");
        for (String guest : List.of("../x", "data", "/a/../b", "/a/.", "/")) {
            var badGuestPath =
                    kiln.patch(
                            "cgi",
                            "files",
                            "{\"wasiReadOnlyDirs\":{\"" + guest + "\":\"" + site + "\"}}");
            assertThat(errorCode(badGuestPath)).as(guest).isEqualTo("bad_request");
        }
        kiln.deploy("cgi", "kilnfn", Wat.fixture("echo"));
        assertThat(errorCode(kiln.patch("cgi", "kilnfn", grant))).isEqualTo("bad_request");

        var granted = kiln.patch("cgi", "files", grant);
        assertThat(granted.statusCode()).as(text(granted)).isEqualTo(200);
        assertThat(json(granted).path("settings").path("wasiReadOnlyDirs").path("/site").asText())
                .isEqualTo(site.toString());
        assertThat(text(kiln.invoke("cgi", "files", "rindex.txt"))).isEqualTo("welcome");
        assertThat(text(kiln.invoke("cgi", "files", "windex.txt"))).isEqualTo("errno=69");
        assertThat(text(kiln.invoke("cgi", "files", "dindex.txt"))).isEqualTo("errno=69");
        assertThat(Files.readString(site.resolve("index.txt"))).isEqualTo("welcome");

        // {} revokes it.
        kiln.patch("cgi", "files", "{\"wasiReadOnlyDirs\":{}}");
        assertThat(text(kiln.invoke("cgi", "files", "rindex.txt"))).isEqualTo("errno=08");
    }

    @Test
    void aGrantSwappedForASymlinkOutOfTheRootsIsRefusedAtTheNextInvocation() throws Exception {
        deploy("hello", "hello");
        Path site = Files.createDirectories(files.resolve("site"));
        Files.writeString(site.resolve("index.txt"), "welcome");
        deploy("files", "files");
        var granted =
                kiln.patch("cgi", "files", "{\"wasiReadOnlyDirs\":{\"/site\":\"" + site + "\"}}");
        assertThat(granted.statusCode()).as(text(granted)).isEqualTo(200);
        assertThat(text(kiln.invoke("cgi", "files", "rindex.txt"))).isEqualTo("welcome");

        // After the PATCH, the granted directory becomes a symlink to /etc.
        Files.delete(site.resolve("index.txt"));
        Files.delete(site);
        Files.createSymbolicLink(site, Path.of("/etc"));
        var escaped = kiln.invoke("cgi", "files", "rpasswd");
        assertThat(escaped.statusCode()).isEqualTo(500);
        assertThat(errorCode(escaped)).isEqualTo("directory_grant_refused");
        assertThat(text(escaped)).contains("/site").doesNotContain("/etc").doesNotContain("root:");
        stillServes();

        // A symlink that stays inside the roots is followed as before.
        Path elsewhere = Files.createDirectories(files.resolve("elsewhere"));
        Files.writeString(elsewhere.resolve("index.txt"), "moved");
        Files.delete(site);
        Files.createSymbolicLink(site, elsewhere);
        assertThat(text(kiln.invoke("cgi", "files", "rindex.txt"))).isEqualTo("moved");
    }

    @Test
    void aHostWithoutRootsGrantsNothing() {
        kiln.close();
        kiln = TestHost.start(data);
        deploy("files", "files");
        var r = kiln.patch("cgi", "files", "{\"wasiReadOnlyDirs\":{\"/tmp\":\"/tmp\"}}");
        assertThat(errorCode(r)).isEqualTo("bad_request");
        assertThat(text(r)).contains("grants no directories");
    }
}
