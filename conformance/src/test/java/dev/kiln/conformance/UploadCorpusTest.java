package dev.kiln.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.KilnHost;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The malformed-upload corpus ({@code upload/}) against one in-process host that already holds
 * functions: every upload is refused with its code, and afterwards the registry is exactly as it
 * was, seen through the API (listing) and on disk (module blobs and kiln.db rows), and the
 * compiled-code cache holds as many files as before.
 */
@Tag("slow") // the upload corpus
class UploadCorpusTest {
    @Test
    void refusedUploadsLeaveTheRegistryUnchanged(@TempDir Path data) throws Exception {
        ConformanceSuite corpus =
                ConformanceSuite.load(ConformanceTest.CASES, null)
                        .areas(ConformanceTest.UPLOAD, true);
        try (KilnHost host = KilnHost.start(ConformanceTest.config(data))) {
            URI target = ConformanceTest.uri(host);
            var client = new KilnClient(target, ConformanceTest.TOKEN);
            byte[] echo =
                    ModuleFiles.load(
                            ConformanceTest.CASES.resolve("_shared/echo.wat"), v -> v.asLong());
            byte[] mirror =
                    ModuleFiles.load(
                            ConformanceTest.CASES.resolve("_shared/mirror.wat"), v -> v.asLong());
            // Three versions of two functions, with settings: what an upload must not disturb.
            deploy(client, "kept", "a", echo);
            deploy(client, "kept", "b", echo);
            deploy(client, "kept", "b", mirror);
            var patched =
                    client.send(
                            "PATCH",
                            KilnClient.functionPath("kept", "b"),
                            Map.of("Content-Type", "application/json"),
                            "{\"env\":{\"K\":\"v\"},\"timeoutMs\":777}"
                                    .getBytes(StandardCharsets.UTF_8),
                            true);
            assertThat(patched.statusCode()).isEqualTo(200);

            String listingBefore = listing(client);
            Map<String, String> blobsBefore = blobs(data);
            List<String> rowsBefore = rows(data);
            long compiledBefore = files(data.resolve("compiled"));

            Report report = corpus.run(target, ConformanceTest.TOKEN, 4);
            report.print(System.out);
            ConformanceTest.assertAllPassed(report, corpus);

            assertThat(listing(client)).isEqualTo(listingBefore);
            assertThat(blobs(data)).isEqualTo(blobsBefore);
            assertThat(rows(data)).isEqualTo(rowsBefore);
            // Refused uploads (kiln_init traps too) leave no compiled code behind (ADR 0029).
            assertThat(files(data.resolve("compiled"))).isEqualTo(compiledBefore);
            System.out.printf(
                    "upload corpus: %d cases; registry unchanged (%d blobs, %d rows); compiled-code"
                            + " cache %d -> %d files%n",
                    corpus.names().size(),
                    blobsBefore.size(),
                    rowsBefore.size(),
                    compiledBefore,
                    files(data.resolve("compiled")));

            var served =
                    client.send(
                            "POST",
                            KilnClient.functionPath("kept", "a") + "/invoke",
                            Map.of(),
                            "still here".getBytes(StandardCharsets.UTF_8),
                            true);
            assertThat(served.statusCode()).isEqualTo(200);
            assertThat(new String(served.body(), StandardCharsets.UTF_8)).isEqualTo("still here");
        }
    }

    private static void deploy(KilnClient client, String service, String fn, byte[] wasm)
            throws Exception {
        var r =
                client.send(
                        "PUT",
                        KilnClient.functionPath(service, fn),
                        Map.of("Content-Type", "application/wasm"),
                        wasm,
                        true);
        assertThat(r.statusCode()).isBetween(200, 201);
    }

    /** Every service, its functions' documents and their versions, as the API shows them. */
    private static String listing(KilnClient client) throws Exception {
        StringBuilder out = new StringBuilder();
        JsonNode services = get(client, "/api/v1/services").path("services");
        out.append(services).append('\n');
        for (JsonNode s : services) {
            JsonNode functions =
                    get(client, "/api/v1/services/" + s.asText() + "/functions").path("functions");
            out.append(functions).append('\n');
            for (JsonNode f : functions) {
                out.append(
                                get(
                                        client,
                                        KilnClient.functionPath(s.asText(), f.path("name").asText())
                                                + "/versions"))
                        .append('\n');
            }
        }
        return out.toString();
    }

    private static JsonNode get(KilnClient client, String path) throws Exception {
        var r = client.send("GET", path, Map.of(), new byte[0], true);
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        return CaseLoader.JSON.readTree(r.body());
    }

    /** Every file under the module store, by path, with the sha-256 of its content. */
    private static Map<String, String> blobs(Path data) throws Exception {
        Map<String, String> out = new TreeMap<>();
        Path root = data.resolve("modules");
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                byte[] sha = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
                out.put(root.relativize(p).toString(), HexFormat.of().formatHex(sha));
            }
        }
        return out;
    }

    /** The rows of kiln.db's functions and versions tables, read beside the running host. */
    private static List<String> rows(Path data) throws SQLException {
        List<String> out = new ArrayList<>();
        try (var db = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("kiln.db"));
                var st = db.createStatement()) {
            for (String sql :
                    List.of(
                            "SELECT * FROM functions ORDER BY service, name",
                            "SELECT * FROM versions ORDER BY service, name, number")) {
                try (var rs = st.executeQuery(sql)) {
                    int columns = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        StringBuilder row = new StringBuilder();
                        for (int c = 1; c <= columns; c++) {
                            row.append(rs.getString(c)).append('|');
                        }
                        out.add(row.toString());
                    }
                }
            }
        }
        return out;
    }

    private static long files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).count();
        }
    }
}
