package dev.kiln.host.access;

/** Which services a route touches, and so which service patterns a key needs to reach it. */
public enum Scope {
    /** The service named by the route's {@code {service}} path parameter. */
    SERVICE,
    /**
     * Every service at once (host-wide queues, topics, metrics): only a key whose services are
     * omitted (all) may use the route.
     */
    ALL_SERVICES,
    /** Nothing service-specific (the limits; the service list, which is filtered per key). */
    ANY
}
