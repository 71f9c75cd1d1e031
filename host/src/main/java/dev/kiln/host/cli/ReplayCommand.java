package dev.kiln.host.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.core.Sha256;
import dev.kiln.host.core.TempDirectory;
import dev.kiln.host.invoke.ReplayRunner;
import dev.kiln.host.replay.Recording;
import dev.kiln.host.replay.RecordingJson;
import dev.kiln.host.replay.ReplayResult;
import dev.kiln.host.replay.SecretSeal;
import dev.kiln.host.sandbox.Abi;
import dev.kiln.host.sandbox.CompiledModule;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleRules;
import dev.kiln.host.sandbox.ModuleValidator;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kiln replay FILE}: runs an exported recording (docs/adr/0041) on this machine, without a
 * server or data directory, and says whether it came out identical. Exit code 0 when identical, 1
 * when not, 2 when the file cannot be replayed.
 */
@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        description =
                "Replay a recorded invocation (exported with GET"
                        + " …/invocations/{requestId}/recording) on this machine, without a"
                        + " server, and compare it with the recording. Exit code 0 when identical,"
                        + " 1 when not, 2 when the file cannot be replayed.")
final class ReplayCommand implements Callable<Integer> {
    static final int IDENTICAL = 0;
    static final int DIFFERENT = 1;
    static final int UNUSABLE = 2;

    @Parameters(index = "0", paramLabel = "FILE", description = "The exported recording.")
    Path file;

    @Option(
            names = "--secret",
            paramLabel = "NAME=VALUE",
            description =
                    "A value for a secret the export left out (only an administrator's export"
                            + " holds them); repeatable.")
    Map<String, String> secrets = new LinkedHashMap<>();

    @Option(names = "--json", description = "Print the result as JSON (the API's shape).")
    boolean json;

    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() throws IOException {
        RecordingJson.Read read;
        try {
            read = RecordingJson.read(Files.readAllBytes(file), SecretSeal.NONE);
        } catch (IllegalArgumentException | IOException e) {
            err.println("kiln replay: " + file + ": " + e.getMessage());
            return UNUSABLE;
        }
        Recording r = read.recording();
        byte[] module = read.module();
        if (module == null || !Sha256.hex(module).equals(r.sha256())) {
            err.println(
                    "kiln replay: "
                            + file
                            + " holds no module whose sha256 is "
                            + r.sha256()
                            + "; export it again with GET …/recording");
            return UNUSABLE;
        }
        Abi abi = Abi.byWire(r.abi()).orElse(null);
        if (abi == null) {
            err.println("kiln replay: unknown abi " + r.abi());
            return UNUSABLE;
        }
        KilnConfig defaults = KilnConfig.defaults();
        try (TempDirectory cache = TempDirectory.create("kiln-replay");
                ReplayRunner runner =
                        new ReplayRunner(
                                new InvocationLimits(
                                        defaults.effectLimits(), defaults.maxResponseBytes()))) {
            CompiledModule code =
                    new ModuleCompiler(cache.path())
                            .compile(
                                    ModuleValidator.validate(
                                            module,
                                            new ModuleRules(
                                                    r.handler(),
                                                    r.memoryMiB(),
                                                    defaults.moduleLimits(),
                                                    abi)));
            ReplayResult result = runner.run(r, code, secrets, Map.of(), List.of());
            print(r, result);
            return result.identical() ? IDENTICAL : DIFFERENT;
        } catch (KilnException e) {
            err.println("kiln replay: " + e.getMessage());
            return UNUSABLE;
        }
    }

    private void print(Recording r, ReplayResult result) throws IOException {
        if (json) {
            out.println(
                    new ObjectMapper()
                            .enable(SerializationFeature.INDENT_OUTPUT)
                            .writeValueAsString(result));
            return;
        }
        out.println(
                "replay of "
                        + r.requestId()
                        + " ("
                        + r.service()
                        + "/"
                        + r.function()
                        + " version "
                        + r.version()
                        + "): "
                        + (result.identical() ? "identical" : "different"));
        Recording.Result got = result.replayed();
        out.println(
                "outcome "
                        + got.outcome()
                        + ", status "
                        + got.status()
                        + ", fuel "
                        + got.fuel()
                        + ", "
                        + got.body().length
                        + " bytes of output"
                        + (got.message() == null ? "" : ": " + got.message()));
        for (ReplayResult.Difference d : result.differences()) {
            out.println(
                    "differs: "
                            + d.field()
                            + ": recorded "
                            + d.recorded()
                            + ", now "
                            + d.replayed());
        }
        if (result.divergence() != null) {
            out.println(
                    "diverged: "
                            + result.divergence().code()
                            + ": "
                            + result.divergence().message());
        }
        if (result.secretsRedacted()) {
            out.println(
                    "note: the recording holds secrets redacted; pass --secret NAME=VALUE for"
                            + " those the function reads");
        }
        if (got.body().length > 0) {
            out.println("output:");
            out.println(new String(got.body(), StandardCharsets.UTF_8));
        }
    }
}
