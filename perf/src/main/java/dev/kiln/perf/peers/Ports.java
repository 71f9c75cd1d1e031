package dev.kiln.perf.peers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Ports for the peers' servers: consecutive from a base, or free ones picked by the system. */
public final class Ports {
    private final int base;
    private int next;

    /**
     * @param base first port to use, or 0 for free ports
     */
    public Ports(int base) {
        this.base = base;
    }

    public int next() {
        if (base > 0) {
            return base + next++;
        }
        try (ServerSocket s =
                new ServerSocket(0, 1, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
