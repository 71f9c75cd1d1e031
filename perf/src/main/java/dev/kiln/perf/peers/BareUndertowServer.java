package dev.kiln.perf.peers;

import dev.kiln.host.config.KilnConfig;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The ceiling Kiln is measured against: Undertow, same version and the same settings as Kiln's
 * server, answering every request with its own body. In {@code io} mode it answers on the IO
 * thread; in {@code worker} mode it hands off to a pool built like Kiln's guest workers (same
 * thread count, stack size and queue) and answers from there, as Kiln does.
 *
 * <pre>java -cp kiln-benchmarks.jar dev.kiln.perf.peers.BareUndertowServer PORT io|worker</pre>
 */
public final class BareUndertowServer {
    private BareUndertowServer() {}

    public static void main(String[] args) {
        if (args.length != 2 || !(args[1].equals("io") || args[1].equals("worker"))) {
            System.err.println("usage: BareUndertowServer PORT io|worker");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        boolean dispatch = args[1].equals("worker");
        KilnConfig defaults = KilnConfig.builder().build();
        ExecutorService workers = dispatch ? workers(defaults) : null;
        Undertow undertow =
                Undertow.builder()
                        .addHttpListener(port, "127.0.0.1")
                        // The same options KilnServer sets; everything else is Undertow's default,
                        // as in Kiln (IO threads = cores, Undertow's own worker pool unused).
                        .setServerOption(
                                UndertowOptions.MAX_ENTITY_SIZE, (long) defaults.maxUploadBytes())
                        .setServerOption(UndertowOptions.ALLOW_UNESCAPED_CHARACTERS_IN_URL, false)
                        .setHandler(
                                exchange ->
                                        exchange.getRequestReceiver()
                                                .receiveFullBytes(
                                                        (ex, body) -> {
                                                            if (workers == null) {
                                                                reply(ex, body);
                                                            } else {
                                                                ex.dispatch(
                                                                        SameThreadExecutor.INSTANCE,
                                                                        () ->
                                                                                workers.execute(
                                                                                        () ->
                                                                                                reply(
                                                                                                        ex,
                                                                                                        body)));
                                                            }
                                                        }))
                        .build();
        undertow.start();
        System.out.println("bare undertow (" + args[1] + ") listening on http://127.0.0.1:" + port);
        System.out.flush();
    }

    private static void reply(HttpServerExchange exchange, byte[] body) {
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/octet-stream");
        exchange.getResponseSender().send(ByteBuffer.wrap(body));
    }

    /** Built like Kiln's GuestExecutor in PLATFORM mode. */
    private static ExecutorService workers(KilnConfig config) {
        AtomicInteger n = new AtomicInteger();
        return new ThreadPoolExecutor(
                config.workerThreads(),
                config.workerThreads(),
                60,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.workerQueue()),
                r -> {
                    Thread t =
                            new Thread(
                                    null,
                                    r,
                                    "bare-worker-" + n.incrementAndGet(),
                                    config.workerStackBytes());
                    t.setDaemon(true);
                    return t;
                });
    }
}
