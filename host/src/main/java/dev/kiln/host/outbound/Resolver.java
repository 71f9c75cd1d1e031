package dev.kiln.host.outbound;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Turns a host name into addresses; the host checks every address it returns before connecting. */
@FunctionalInterface
public interface Resolver {
    /** The JDK's resolver (the operating system's, with the JDK's cache). */
    Resolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));

    List<InetAddress> resolve(String host) throws UnknownHostException;
}
