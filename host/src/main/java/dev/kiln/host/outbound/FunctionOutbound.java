package dev.kiln.host.outbound;

import dev.kiln.abi.HostDeadlineException;
import dev.kiln.abi.OutboundException;
import dev.kiln.abi.OutboundHttp;
import dev.kiln.abi.OutboundLimits;
import dev.kiln.abi.OutboundRequest;
import dev.kiln.abi.OutboundResponse;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * Outbound HTTP for one invocation: checks each URL against the function's allow list, resolves its
 * name once, refuses non-public addresses unless the matching entry names the host literally, and
 * sends the request to exactly the checked addresses, within the per-call timeout, the invocation's
 * deadline and its response budget. Not thread-safe: one invocation, one thread.
 */
final class FunctionOutbound implements OutboundHttp {
    private final OutboundClient client;
    private final AllowedHosts allowed;
    private final OutboundLimits limits;
    private final long deadlineEpochMillis;
    private long responseBudget;

    FunctionOutbound(
            OutboundClient client,
            AllowedHosts allowed,
            OutboundLimits limits,
            long deadlineEpochMillis) {
        this.client = client;
        this.allowed = allowed;
        this.limits = limits;
        this.deadlineEpochMillis = deadlineEpochMillis;
        this.responseBudget = limits.maxResponseBytesPerInvocation();
    }

    @Override
    public OutboundLimits limits() {
        return limits;
    }

    @Override
    public OutboundResponse send(OutboundRequest request) {
        OutboundUrl url = OutboundUrl.parse(request.url());
        Optional<AllowedHost> entry = allowed.match(url);
        if (entry.isEmpty()) {
            throw denied(url.origin() + " is not in the function's allowedOutboundHosts");
        }
        long invocationLeft = deadlineEpochMillis - System.currentTimeMillis();
        if (invocationLeft <= 0) {
            throw new HostDeadlineException();
        }
        boolean invocationBound = invocationLeft <= limits.callTimeoutMillis();
        long deadlineNanos =
                System.nanoTime()
                        + Math.min(invocationLeft, limits.callTimeoutMillis()) * 1_000_000L;
        List<InetAddress> addresses =
                url.address() != null
                        ? List.of(url.address())
                        : client.resolve(url.host(), deadlineNanos, invocationBound);
        if (!entry.get().literal()) {
            for (InetAddress a : addresses) {
                if (!PublicAddresses.isPublic(a)) {
                    // Checked here, connected to below: the address cannot change in between.
                    throw denied(
                            url.origin()
                                    + " is a loopback, private or link-local address; only an"
                                    + " allowedOutboundHosts entry naming "
                                    + url.hostForUrl()
                                    + " literally allows it");
                }
            }
        }
        Http1Exchange.Result r =
                client.send(
                        url, addresses, request, deadlineNanos, invocationBound, responseBudget);
        responseBudget -= r.bytes();
        return r.response();
    }

    private static OutboundException denied(String why) {
        return new OutboundException(OutboundException.Kind.DENIED, why);
    }
}
