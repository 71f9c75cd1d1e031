package dev.kiln.host.outbound;

import java.net.InetAddress;

/**
 * What a pooled connection was made for: the URL's scheme, host (TLS checked the certificate for
 * it) and port, and the address it was connected to — an address checked when it was connected, so
 * a request only ever reuses a connection to an address it checked itself.
 */
record PoolKey(String scheme, String host, int port, InetAddress address) {}
