package dev.kiln.host.outbound;

import dev.kiln.abi.HostDeadlineException;
import dev.kiln.abi.OutboundException;
import dev.kiln.abi.OutboundRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The host's HTTP/1.1 client for guests' requests (docs/adr/0040): resolves a name once (on a small
 * pool of its own, so a slow resolver is bounded by the deadline), connects to exactly the
 * addresses the caller checked, speaks TLS with the host name as SNI and for the certificate check,
 * and keeps connections alive across invocations in a {@link ConnectionPool} keyed by the address.
 */
final class OutboundClient implements AutoCloseable {
    private final SSLSocketFactory tls;
    private final Resolver resolver;
    private final ConnectionPool pool;
    private final ScheduledExecutorService timers;
    private final ThreadPoolExecutor dns;

    OutboundClient(SSLSocketFactory tls, Resolver resolver, ConnectionPool pool) {
        this.tls = tls;
        this.resolver = resolver;
        this.pool = pool;
        ScheduledThreadPoolExecutor t =
                new ScheduledThreadPoolExecutor(1, daemon("kiln-outbound-timer"));
        t.setRemoveOnCancelPolicy(true);
        this.timers = t;
        this.dns =
                new ThreadPoolExecutor(
                        8,
                        8,
                        30,
                        TimeUnit.SECONDS,
                        new ArrayBlockingQueue<>(256),
                        daemon("kiln-outbound-dns"));
        dns.allowCoreThreadTimeOut(true);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread th = new Thread(r, name);
            th.setDaemon(true);
            return th;
        };
    }

    ConnectionPool pool() {
        return pool;
    }

    /**
     * The addresses of {@code host}, resolved once.
     *
     * @param invocationBound whether {@code deadlineNanos} is the invocation's own deadline (then
     *     running out of time ends the invocation) rather than the per-call timeout
     */
    @SuppressWarnings("UnusedException") // the guest gets a code and our message, nothing more
    List<InetAddress> resolve(String host, long deadlineNanos, boolean invocationBound) {
        CompletableFuture<List<InetAddress>> f;
        try {
            f =
                    CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    return resolver.resolve(host);
                                } catch (UnknownHostException e) {
                                    throw new java.util.concurrent.CompletionException(e);
                                }
                            },
                            dns);
        } catch (RejectedExecutionException e) {
            throw new OutboundException(
                    OutboundException.Kind.CONNECT_FAILED, "the host's resolver is busy");
        }
        try {
            List<InetAddress> found =
                    f.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (found.isEmpty()) {
                throw new OutboundException(
                        OutboundException.Kind.CONNECT_FAILED, "no address for " + host);
            }
            return found;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HostDeadlineException();
        } catch (TimeoutException e) {
            f.cancel(true);
            throw timedOut(invocationBound, "resolving " + host + " took too long");
        } catch (ExecutionException e) {
            throw new OutboundException(
                    OutboundException.Kind.CONNECT_FAILED, "cannot resolve " + host);
        }
    }

    /**
     * Sends {@code request} to one of {@code addresses} (in order; a pooled connection to one of
     * them first) and reads the response, all before {@code deadlineNanos}.
     *
     * @param budget response bytes the invocation may still receive
     */
    @SuppressWarnings("UnusedException") // the guest gets a code and our message, nothing more
    Http1Exchange.Result send(
            OutboundUrl url,
            List<InetAddress> addresses,
            OutboundRequest request,
            long deadlineNanos,
            boolean invocationBound,
            long budget) {
        try (CallTimer timer = new CallTimer(timers, deadlineNanos)) {
            // A pooled connection may have been closed by the server meanwhile: if it fails
            // before a byte of the response arrives, try once more on a new connection.
            for (int attempt = 0; ; attempt++) {
                HttpConnection c = attempt == 0 ? pooled(url, addresses) : null;
                boolean reused = c != null;
                if (c == null) {
                    c = connect(url, addresses, deadlineNanos, invocationBound, timer);
                }
                timer.watch(c.tcp());
                long before = c.bytesRead();
                boolean keep = false;
                try {
                    Http1Exchange.Result r =
                            Http1Exchange.run(c, url, request, deadlineNanos, budget);
                    keep = r.reusable();
                    return r;
                } catch (IOException e) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new HostDeadlineException();
                    }
                    if (timer.fired()
                            || e instanceof SocketTimeoutException
                            || System.nanoTime() >= deadlineNanos) {
                        throw timedOut(invocationBound, url.origin() + " did not answer in time");
                    }
                    if (reused && c.bytesRead() == before && attempt == 0) {
                        continue;
                    }
                    throw new OutboundException(
                            OutboundException.Kind.IO,
                            "the exchange with "
                                    + url.origin()
                                    + " failed: "
                                    + (e instanceof Http1Exchange.MalformedResponse
                                            ? e.getMessage()
                                            : "the connection broke"));
                } finally {
                    if (keep && !timer.fired()) {
                        pool.offer(c);
                    } else {
                        c.close();
                    }
                }
            }
        }
    }

    private HttpConnection pooled(OutboundUrl url, List<InetAddress> addresses) {
        for (InetAddress a : addresses) {
            HttpConnection c = pool.take(new PoolKey(url.scheme(), url.host(), url.port(), a));
            if (c != null) {
                return c;
            }
        }
        return null;
    }

    @SuppressWarnings("UnusedException") // the guest gets a code and our message, nothing more
    private HttpConnection connect(
            OutboundUrl url,
            List<InetAddress> addresses,
            long deadlineNanos,
            boolean invocationBound,
            CallTimer timer) {
        for (InetAddress a : addresses) {
            long leftMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
            if (leftMs <= 0) {
                break;
            }
            Socket tcp = new Socket();
            timer.watch(tcp);
            try {
                tcp.setTcpNoDelay(true);
                tcp.connect(
                        new InetSocketAddress(a, url.port()),
                        (int) Math.min(leftMs, Integer.MAX_VALUE));
                Socket s = url.https() ? handshake(tcp, url, deadlineNanos) : tcp;
                return new HttpConnection(
                        new PoolKey(url.scheme(), url.host(), url.port(), a), tcp, s);
            } catch (IOException | IllegalArgumentException e) {
                try {
                    tcp.close();
                } catch (IOException ignored) {
                    // already failed
                }
                if (Thread.currentThread().isInterrupted()) {
                    throw new HostDeadlineException();
                }
                if (e instanceof javax.net.ssl.SSLException && !timer.fired()) {
                    throw new OutboundException(
                            OutboundException.Kind.CONNECT_FAILED,
                            "the TLS handshake with " + url.origin() + " failed");
                }
            }
        }
        if (timer.fired() || System.nanoTime() >= deadlineNanos) {
            throw timedOut(invocationBound, "connecting to " + url.origin() + " took too long");
        }
        throw new OutboundException(
                OutboundException.Kind.CONNECT_FAILED, "cannot connect to " + url.origin());
    }

    private Socket handshake(Socket tcp, OutboundUrl url, long deadlineNanos) throws IOException {
        SSLSocket s = (SSLSocket) tls.createSocket(tcp, url.host(), url.port(), true);
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        p.setApplicationProtocols(new String[] {"http/1.1"});
        if (url.address() == null) {
            p.setServerNames(List.of(new SNIHostName(url.host())));
        }
        s.setSSLParameters(p);
        long leftMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
        if (leftMs <= 0) {
            throw new SocketTimeoutException("deadline");
        }
        s.setSoTimeout((int) Math.min(leftMs, Integer.MAX_VALUE));
        s.startHandshake();
        return s;
    }

    /**
     * Running out of time: the invocation's deadline ends the invocation ({@code timeout}), the
     * per-call timeout is the guest's {@code ERR_TIMEOUT}.
     */
    private static RuntimeException timedOut(boolean invocationBound, String why) {
        return invocationBound
                ? new HostDeadlineException()
                : new OutboundException(OutboundException.Kind.TIMEOUT, why);
    }

    @Override
    public void close() {
        pool.close();
        timers.shutdownNow();
        dns.shutdownNow();
    }
}
