package dev.kiln.perf.peers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Kiln itself, as users run it ({@code kiln serve} on its own data directory), serving the echo
 * module through the invoke API and the HTTP trigger, and the wasi-cgi echo when the host supports
 * that ABI.
 */
public record KilnPeer() implements Peer {
    static final String INVOKE = "kiln-invoke";
    static final String HTTP = "kiln-http";
    static final String WASI_CGI = "kiln-wasi-cgi";
    static final String SERVICE = "perf";

    @Override
    public List<String> targetIds() {
        return List.of(INVOKE, HTTP, WASI_CGI);
    }

    @Override
    public Running start(PeerContext context) throws IOException, InterruptedException {
        int port = context.ports().next();
        Path data = Files.createDirectories(context.workDir().resolve("kiln-data"));
        String token = "perf-" + UUID.randomUUID();
        List<String> serve =
                List.of("serve", "--port", Integer.toString(port), "--data", data.toString());
        List<String> command;
        if (context.kilnJar() != null) {
            command = new ArrayList<>(context.java());
            command.add("-jar");
            command.add(context.kilnJar().toString());
            command.addAll(serve);
        } else {
            command = context.javaCommand("dev.kiln.host.cli.KilnCli", serve);
        }
        ServerProcess server =
                ServerProcess.start(
                        "kiln",
                        command,
                        Map.of("KILN_ADMIN_TOKEN", token, "KILN_LOG_LEVEL", "WARN"),
                        context.workDir(),
                        context.workDir().resolve("kiln.log"));
        try {
            server.awaitPort(port, Duration.ofSeconds(60));
            String base = "http://127.0.0.1:" + port;
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> echo =
                    deploy(client, base, token, "echo", "application/wasm", context.echoWasm());
            if (echo.statusCode() / 100 != 2) {
                throw new IOException(
                        "Kiln refused the echo module: " + echo.statusCode() + " " + echo.body());
            }
            List<Target> targets = new ArrayList<>();
            targets.add(
                    new Target(
                            INVOKE,
                            "Kiln, echo.wasm through POST …/invoke",
                            URI.create(
                                    base
                                            + "/api/v1/services/"
                                            + SERVICE
                                            + "/functions/echo/invoke"),
                            List.of("Authorization: Bearer " + token)));
            targets.add(
                    new Target(
                            HTTP,
                            "Kiln, echo.wasm through the HTTP trigger",
                            URI.create(base + "/fn/" + SERVICE + "/echo/"),
                            List.of()));
            Map<String, String> unavailable = new LinkedHashMap<>();
            HttpResponse<String> cgi =
                    deploy(
                            client,
                            base,
                            token,
                            "echo-cgi",
                            "application/zip",
                            wasiCgiZip(context.echoCgiWasm()));
            if (cgi.statusCode() / 100 == 2) {
                targets.add(
                        new Target(
                                WASI_CGI,
                                "Kiln, WASI command echo (wasi-cgi) through the HTTP trigger",
                                URI.create(base + "/fn/" + SERVICE + "/echo-cgi/"),
                                List.of()));
            } else {
                unavailable.put(
                        WASI_CGI,
                        "this Kiln does not run wasi-cgi functions yet (upload answered "
                                + cgi.statusCode()
                                + ": "
                                + cgi.body().strip()
                                + ")");
            }
            return new Running(targets, unavailable, server);
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private static HttpResponse<String> deploy(
            HttpClient client,
            String base,
            String token,
            String function,
            String contentType,
            byte[] body)
            throws IOException, InterruptedException {
        return client.send(
                HttpRequest.newBuilder(
                                URI.create(
                                        base
                                                + "/api/v1/services/"
                                                + SERVICE
                                                + "/functions/"
                                                + function))
                        .timeout(Duration.ofSeconds(60))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", contentType)
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A zip with {@code kiln.json} selecting the wasi-cgi ABI and the module it names. */
    public static byte[] wasiCgiZip(byte[] wasm) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("kiln.json"));
            zip.write(
                    "{\"module\": \"echo-cgi.wasm\", \"abi\": \"wasi-cgi\"}"
                            .getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("echo-cgi.wasm"));
            zip.write(wasm);
            zip.closeEntry();
        }
        return bytes.toByteArray();
    }
}
