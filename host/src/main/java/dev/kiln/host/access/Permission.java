package dev.kiln.host.access;

import java.util.Objects;

/** What a route requires: an action, over a scope. */
public record Permission(Action action, Scope scope) {
    public Permission {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(scope, "scope");
    }

    /** Whether a request with this permission changes state and is written to the audit log. */
    public boolean audited() {
        return action == Action.WRITE || action == Action.ADMIN;
    }
}
