package dev.kiln.cli;

import dev.kiln.client.KilnClient;
import dev.kiln.client.KilnException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln dev DIR}: the inner loop of {@code spin watch} and {@code wrangler dev} — build and
 * deploy the project, print its logs as they come, and on every change of its sources build and
 * deploy again, until Ctrl-C. A failed build or deploy is reported and the loop waits for the next
 * change.
 */
@Command(
        name = "dev",
        mixinStandardHelpOptions = true,
        description = {
            "Build and deploy a project made by 'kiln new', then watch its sources: every change"
                    + " is",
            "rebuilt and redeployed as a new version; the function's logs are printed as they"
                    + " come.",
            "Runs until Ctrl-C."
        })
final class DevCommand implements Callable<Integer> {
    private final CliContext context;

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "<dir>",
            description = "The project (default: .).")
    Path dir = Path.of(".");

    @Option(
            names = "--function",
            paramLabel = "<service/function>",
            converter = FunctionRefConverter.class,
            description = "Where to deploy (default: dev/<project directory name>).")
    FunctionRef function;

    @Option(
            names = "--poll-ms",
            paramLabel = "<ms>",
            description = "How often the sources are checked (default 300).")
    long pollMs = 300;

    @Mixin SettingsOptions settings;
    @Mixin ConnectionOptions connection;
    @Spec CommandSpec spec;

    DevCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path project = dir.toAbsolutePath().normalize();
        FunctionRef fn = function != null ? function : defaultName(project);
        Project p = Project.open(project);
        KilnClient client = context.client(connection, err);
        SourceWatch watch = new SourceWatch(project, p.module());
        Map<Path, SourceWatch.Stamp> seen = watch.snapshot();
        boolean deployed = round(client, fn, project, out, err);
        if (!deployed) {
            err.println("waiting for a change to try again...");
            err.flush();
        }
        LogTail tail =
                new LogTail(
                        client,
                        fn,
                        line -> {
                            synchronized (out) {
                                out.println(
                                        connection.json ? line.toString() : Output.logLine(line));
                                out.flush();
                            }
                        },
                        Duration.ofMillis(Math.max(200, pollMs)),
                        err);
        Thread tailThread = deployed ? startTail(tail, err) : null;
        err.println("watching " + project + " (Ctrl-C to stop)");
        err.flush();
        try {
            while (true) {
                Thread.sleep(pollMs);
                Map<Path, SourceWatch.Stamp> now = watch.snapshot();
                Path changed = SourceWatch.changed(seen, now);
                if (changed == null) {
                    continue;
                }
                // Let a burst of saves settle: build once the tree stopped changing.
                for (int i = 0; i < 10; i++) {
                    Thread.sleep(pollMs);
                    Map<Path, SourceWatch.Stamp> later = watch.snapshot();
                    if (later.equals(now)) {
                        break;
                    }
                    now = later;
                }
                seen = now;
                err.println("changed: " + changed);
                err.flush();
                if (round(client, fn, project, out, err) && tailThread == null) {
                    tailThread = startTail(tail, err);
                }
            }
        } catch (InterruptedException e) {
            err.println("stopped");
            err.flush();
            return 0;
        } finally {
            tail.stop();
            if (tailThread != null) {
                tailThread.interrupt();
                tailThread.join(5000);
            }
        }
    }

    /** One build and deploy; false (reported) when either failed. */
    private boolean round(
            KilnClient client, FunctionRef fn, Path project, PrintWriter out, PrintWriter err)
            throws InterruptedException {
        try {
            Deploying.Result r = Deploying.deploy(client, fn, project, settings, context, err);
            synchronized (out) {
                if (connection.json) {
                    out.println(r.function().toString());
                    out.flush();
                } else {
                    Deploying.describe(out, client.endpoint(), fn, r);
                }
            }
            return true;
        } catch (CliFailure | KilnException | java.io.IOException e) {
            err.println(ErrorLine.describe(e));
            err.flush();
            return false;
        }
    }

    private static Thread startTail(LogTail tail, PrintWriter err) {
        Thread t =
                Thread.ofVirtual()
                        .name("kiln-dev-logs")
                        .start(
                                () -> {
                                    try {
                                        tail.run();
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                    } catch (RuntimeException e) {
                                        err.println(
                                                ErrorLine.describe(e) + " (logs are not followed)");
                                        err.flush();
                                    }
                                });
        return t;
    }

    private static FunctionRef defaultName(Path project) {
        String name = String.valueOf(project.getFileName());
        try {
            return FunctionRef.parse("dev/" + name);
        } catch (RuntimeException e) {
            throw new CliFailure(
                    "invalid_arguments",
                    "the directory name '" + name + "' cannot name a function; give --function s/f",
                    2);
        }
    }
}
