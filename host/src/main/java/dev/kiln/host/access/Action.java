package dev.kiln.host.access;

/** What a request does, as far as access is concerned; a role grants a set of these. */
public enum Action {
    /** Needs only a valid key, of any role (the limits; the service list, filtered per key). */
    AUTHENTICATED,
    /** Reads settings, versions, records, logs, queues, triggers. */
    READ,
    /** Runs a function: invoke (sync or async), a topic publish, an HTTP trigger with a key. */
    INVOKE,
    /** Changes functions and everything under them: upload, patch, delete, triggers, queues. */
    WRITE,
    /** Manages the host itself: keys and the audit log. */
    ADMIN
}
