package dev.kiln.cli;

import dev.kiln.client.Invocation;
import dev.kiln.client.KilnClient;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln invoke s/f}: runs a function and prints its answer's bytes on stdout (as {@code aws
 * lambda invoke} writes the payload to a file and {@code fc invoke} prints it); what ran goes to
 * stderr, so {@code kiln invoke s/f > out} keeps only the answer.
 */
@Command(
        name = "invoke",
        mixinStandardHelpOptions = true,
        description = {
            "Invoke a function and print its answer (the payload on stdout; version, duration and"
                    + " request id on stderr).",
            "The payload is --data, --file, or standard input with '--file -'; empty by default."
        })
final class InvokeCommand implements Callable<Integer> {
    private final CliContext context;

    @Parameters(
            index = "0",
            paramLabel = "<service/function>",
            converter = FunctionRefConverter.class)
    FunctionRef function;

    static final class Payload {
        @Option(
                names = {"-d", "--data"},
                paramLabel = "<text>",
                description = "The payload.")
        String data;

        @Option(
                names = {"-f", "--file"},
                paramLabel = "<file>",
                description = "Read the payload from a file ('-': standard input).")
        String file;
    }

    @ArgGroup(exclusive = true)
    Payload payload;

    @Option(names = "--async", description = "Queue the invocation; print its request id.")
    boolean async;

    @Option(
            names = {"-q", "--qualifier"},
            paramLabel = "<q>",
            description = "LATEST (default), a version number or an alias.")
    String qualifier;

    @Mixin ConnectionOptions connection;
    @Spec CommandSpec spec;

    InvokeCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        KilnClient client = context.client(connection, err);
        byte[] body = body();
        if (async) {
            String id =
                    client.invokeAsync(function.service(), function.function(), body, qualifier);
            if (connection.json) {
                Output.json(out, Output.JSON.createObjectNode().put("requestId", id));
            } else {
                out.println(id);
                out.flush();
                err.println("queued; see it with: kiln logs " + function);
                err.flush();
            }
            return 0;
        }
        Invocation r = client.invoke(function.service(), function.function(), body, qualifier);
        if (connection.json) {
            var o = Output.JSON.createObjectNode();
            o.put("statusCode", r.statusCode()).put("requestId", r.requestId());
            r.executedVersion().ifPresent(v -> o.put("version", v));
            r.durationUs().ifPresent(v -> o.put("durationUs", v));
            r.fuel().ifPresent(v -> o.put("fuel", v));
            o.put("start", r.start());
            o.put("payload", r.text());
            Output.json(out, o);
            return 0;
        }
        out.flush();
        // The payload's bytes as they are: it may be binary, and need not end with a newline.
        OutputStream raw = context.stdout();
        raw.write(r.payload());
        raw.flush();
        StringBuilder meta = new StringBuilder();
        if (r.payload().length > 0 && r.payload()[r.payload().length - 1] != '\n') {
            // Keep the shell prompt off the answer's last line.
            meta.append('\n');
        }
        meta.append("(version ")
                .append(r.executedVersion().isPresent() ? r.executedVersion().getAsLong() : "?")
                .append(", ")
                .append(
                        r.durationUs().isPresent()
                                ? r.durationUs().getAsLong() / 1000.0 + " ms"
                                : "? ms")
                .append(", ")
                .append(r.start() == null ? "?" : r.start())
                .append(" start, request ")
                .append(r.requestId())
                .append(')');
        err.println(meta);
        err.flush();
        return 0;
    }

    private byte[] body() throws Exception {
        if (payload == null) {
            return new byte[0];
        }
        if (payload.data != null) {
            return payload.data.getBytes(StandardCharsets.UTF_8);
        }
        if ("-".equals(payload.file)) {
            return context.stdin().readAllBytes();
        }
        Path file = Path.of(payload.file);
        if (!Files.isRegularFile(file)) {
            throw new CliFailure("not_found", "no file " + file);
        }
        return Files.readAllBytes(file);
    }
}
