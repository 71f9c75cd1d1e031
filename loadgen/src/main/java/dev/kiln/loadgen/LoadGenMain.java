package dev.kiln.loadgen;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Command line for the load generator, wrk-style:
 *
 * <pre>
 * java -cp … dev.kiln.loadgen.LoadGenMain [-c 16] [-t 1] [-d 10s] [-w 2s] [-R rate]
 *      [-m POST] [-b body | -b @file] [-H 'Name: value']… [--hgrm out.hgrm] http://127.0.0.1:port/path
 * </pre>
 *
 * Without {@code -R} it runs a closed loop; with it, an open loop at that rate.
 */
public final class LoadGenMain {
    private LoadGenMain() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            URI target = null;
            Path hgrm = null;
            // Collect everything first: the builder needs the URL, which may come last.
            String method = null;
            byte[] body = null;
            List<String> headers = new ArrayList<>();
            Integer connections = null;
            Integer threads = null;
            Duration duration = null;
            Duration warmup = null;
            Double rate = null;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "-h", "--help" -> {
                        out.println(usage());
                        return 0;
                    }
                    case "-c", "--connections" -> connections = Integer.parseInt(value(args, ++i));
                    case "-t", "--threads" -> threads = Integer.parseInt(value(args, ++i));
                    case "-d", "--duration" -> duration = Durations.parse(value(args, ++i));
                    case "-w", "--warmup" -> warmup = Durations.parse(value(args, ++i));
                    case "-R", "--rate" -> rate = Double.parseDouble(value(args, ++i));
                    case "-m", "--method" -> method = value(args, ++i).toUpperCase(Locale.ROOT);
                    case "-H", "--header" -> headers.add(value(args, ++i));
                    case "-b", "--body" -> {
                        String v = value(args, ++i);
                        body =
                                v.startsWith("@")
                                        ? Files.readAllBytes(Path.of(v.substring(1)))
                                        : v.getBytes(StandardCharsets.UTF_8);
                    }
                    case "--hgrm" -> hgrm = Path.of(value(args, ++i));
                    default -> {
                        if (a.startsWith("-") || target != null) {
                            throw new IllegalArgumentException("unexpected argument: " + a);
                        }
                        target = URI.create(a);
                    }
                }
            }
            if (target == null) {
                throw new IllegalArgumentException("no target URL given");
            }
            LoadSpec.Builder spec = LoadSpec.builder(target);
            if (method != null) {
                spec.method(method);
            } else if (body != null) {
                spec.method("POST");
            }
            if (body != null) {
                spec.body(body);
            }
            headers.forEach(spec::header);
            if (connections != null) {
                spec.connections(connections);
            }
            if (threads != null) {
                spec.threads(threads);
            }
            if (duration != null) {
                spec.duration(duration);
            }
            if (warmup != null) {
                spec.warmup(warmup);
            }
            if (rate != null) {
                spec.rate(rate);
            }
            LoadSpec built = spec.build();
            err.println("loadgen: " + built.describe() + " against " + target);
            LoadResult result =
                    LoadGenerator.run(
                            built,
                            (elapsed, responses) ->
                                    err.printf(
                                            Locale.ROOT,
                                            "  %4.0f s  %d responses%n",
                                            elapsed.toMillis() / 1e3,
                                            responses));
            out.print(LatencyReport.summary(result));
            out.print(LatencyReport.textHistogram(result.latency(), 40));
            if (hgrm != null) {
                LatencyReport.writeHgrm(result.latency(), hgrm);
                out.println("  percentile distribution written to " + hgrm);
            }
            return result.responses() > 0 ? 0 : 1;
        } catch (IllegalArgumentException e) {
            err.println("loadgen: " + e.getMessage());
            err.println(usage());
            return 2;
        } catch (IOException e) {
            err.println("loadgen: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static String usage() {
        return """
        usage: loadgen [-c connections] [-t threads] [-d duration] [-w warmup] [-R rate]
                       [-m method] [-b body|@file] [-H 'Name: value']... [--hgrm file] URL
          URL must be http://127.0.0.1:PORT/... (loopback only).
          Without -R: closed loop (as fast as responses come back).
          With -R: open loop at that many requests/s, latency from the intended send time.\
        """;
    }
}
