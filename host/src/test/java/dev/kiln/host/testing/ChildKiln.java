package dev.kiln.host.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@code kiln serve} running in a child JVM, for the tests that kill it with -9. */
public final class ChildKiln {
    private static final Pattern LISTENING =
            Pattern.compile("Kiln listening on http://[^:]+:(\\d+)");

    private ChildKiln() {}

    /**
     * The port the child says it listens on, read from its standard output (which a daemon thread
     * keeps draining afterwards, so the child never blocks on a full pipe).
     *
     * @param exited what the failure says when the child ends before listening
     */
    public static int listeningPort(Process p, Duration wait, String exited) throws Exception {
        var out =
                new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader =
                new Thread(
                        () -> {
                            try {
                                String line;
                                while ((line = out.readLine()) != null) {
                                    Matcher m = LISTENING.matcher(line);
                                    if (m.find()) {
                                        port.complete(Integer.parseInt(m.group(1)));
                                    }
                                }
                            } catch (IOException e) {
                                // the process ended
                            }
                            port.completeExceptionally(new IllegalStateException(exited));
                        },
                        "kiln-child-stdout");
        reader.setDaemon(true);
        reader.start();
        return port.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    }
}
