package dev.kiln.host.access;

import java.util.Objects;

/**
 * Who is making a request: a verified key (or the bootstrap admin token, key id {@value
 * ApiKeys#ADMIN_TOKEN_ID}).
 */
public record Principal(String keyId, String name, Role role, ServiceScope services) {
    public Principal {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(services, "services");
    }

    /**
     * Whether this principal may do what {@code permission} names; {@code service} is the route's
     * {@code {service}} (used by {@link Scope#SERVICE} only).
     */
    public boolean may(Permission permission, String service) {
        if (!role.grants(permission.action())) {
            return false;
        }
        return switch (permission.scope()) {
            case SERVICE -> services.covers(service);
            case ALL_SERVICES -> services.coversAll();
            case ANY -> true;
        };
    }
}
