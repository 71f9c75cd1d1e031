package dev.kiln.host.access;

import static dev.kiln.host.access.Action.ADMIN;
import static dev.kiln.host.access.Action.AUTHENTICATED;
import static dev.kiln.host.access.Action.INVOKE;
import static dev.kiln.host.access.Action.READ;
import static dev.kiln.host.access.Action.WRITE;
import static dev.kiln.host.access.Scope.ALL_SERVICES;
import static dev.kiln.host.access.Scope.ANY;
import static dev.kiln.host.access.Scope.SERVICE;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The one table of who may use which route: every authenticated route of the HTTP surface, by
 * method and path template, maps to the {@link Permission} it requires. The router refuses to
 * register a route that has no entry here, and {@code PermissionTableTest} checks the table and the
 * router's route list against each other (docs/adr/0033-api-keys-and-roles.md).
 *
 * <p>Adding a route: add one line below with the action (read, invoke, write, admin) and scope (its
 * {@code {service}}, all services, or any).
 */
public final class PermissionTable {
    private static final String FN = "/api/v1/services/{service}/functions/{function}";

    private static final Map<String, Permission> TABLE = new LinkedHashMap<>();

    static {
        // host-wide
        put("GET", "/api/v1/limits", AUTHENTICATED, ANY);
        put("GET", "/api/v1/services", AUTHENTICATED, ANY); // filtered to the key's services
        put("GET", "/api/v1/queues", READ, ALL_SERVICES);
        put("GET", "/api/v1/topics", READ, ALL_SERVICES);
        put("POST", "/api/v1/topics/{topic}/events", INVOKE, ALL_SERVICES);
        put("GET", "/metrics", READ, ALL_SERVICES);
        put("GET", "/api/v1/usage", READ, ANY); // filtered to the key's services (ADR 0043)
        put("GET", "/api/v1/cluster", READ, ALL_SERVICES); // nodes (docs/adr/0048)
        // keys and audit
        put("POST", "/api/v1/keys", ADMIN, ANY);
        put("GET", "/api/v1/keys", ADMIN, ANY);
        put("DELETE", "/api/v1/keys/{id}", ADMIN, ANY);
        put("GET", "/api/v1/audit", ADMIN, ANY);
        // custom-domain routes: host-wide, so admin only (docs/adr/0038)
        put("PUT", "/api/v1/routes/{id}", ADMIN, ANY);
        put("GET", "/api/v1/routes", ADMIN, ANY);
        put("GET", "/api/v1/routes/{id}", ADMIN, ANY);
        put("DELETE", "/api/v1/routes/{id}", ADMIN, ANY);
        // service quotas: tenants read theirs; only a key over every service sets them (ADR 0034)
        put("GET", "/api/v1/services/{service}/quota", READ, SERVICE);
        put("PUT", "/api/v1/services/{service}/quota", ADMIN, ALL_SERVICES);
        put("DELETE", "/api/v1/services/{service}/quota", ADMIN, ALL_SERVICES);
        // a service's key-value store (docs/adr/0039)
        put("GET", "/api/v1/services/{service}/kv", READ, SERVICE);
        put("GET", "/api/v1/services/{service}/kv/{key}", READ, SERVICE);
        put("PUT", "/api/v1/services/{service}/kv/{key}", WRITE, SERVICE);
        put("DELETE", "/api/v1/services/{service}/kv/{key}", WRITE, SERVICE);
        // functions
        put("GET", "/api/v1/services/{service}/functions", READ, SERVICE);
        put("PUT", FN, WRITE, SERVICE);
        put("PATCH", FN, WRITE, SERVICE); // wasiReadOnlyDirs: admin only, checked by ManagementApi
        put("GET", FN, READ, SERVICE);
        put("DELETE", FN, WRITE, SERVICE);
        put("GET", FN + "/versions", READ, SERVICE);
        // versions and aliases (docs/adr/0037)
        put("GET", FN + "/versions/{version}", READ, SERVICE);
        put("GET", FN + "/versions/{version}/code", READ, SERVICE);
        put("DELETE", FN + "/versions/{version}", WRITE, SERVICE);
        put("GET", FN + "/aliases", READ, SERVICE);
        put("GET", FN + "/aliases/{alias}", READ, SERVICE);
        put("PUT", FN + "/aliases/{alias}", WRITE, SERVICE);
        put("DELETE", FN + "/aliases/{alias}", WRITE, SERVICE);
        put("POST", FN + "/invoke", INVOKE, SERVICE);
        put("GET", FN + "/invocations", READ, SERVICE);
        put("GET", FN + "/invocations/{requestId}", READ, SERVICE);
        // replay (docs/adr/0041): runs code and reveals recorded payloads and outputs
        put("POST", FN + "/invocations/{requestId}/replay", WRITE, SERVICE);
        put("GET", FN + "/invocations/{requestId}/recording", WRITE, SERVICE);
        put("GET", FN + "/logs", READ, SERVICE);
        put("GET", FN + "/stats", READ, SERVICE); // docs/adr/0043
        // asynchronous invocation (destinations in other services: see EventsApi)
        put("GET", FN + "/async-config", READ, SERVICE);
        put("PUT", FN + "/async-config", WRITE, SERVICE);
        put("DELETE", FN + "/async-config", WRITE, SERVICE);
        put("GET", FN + "/queue", READ, SERVICE);
        put("GET", FN + "/events", READ, SERVICE);
        put("GET", FN + "/events/{requestId}", READ, SERVICE);
        put("GET", FN + "/dead-letters", READ, SERVICE);
        put("GET", FN + "/dead-letters/{requestId}", READ, SERVICE);
        put("DELETE", FN + "/dead-letters/{requestId}", WRITE, SERVICE);
        put("POST", FN + "/dead-letters/{requestId}/redrive", WRITE, SERVICE);
        put("POST", FN + "/dead-letters/redrive", WRITE, SERVICE);
        // triggers
        put("POST", FN + "/triggers", WRITE, SERVICE);
        put("GET", FN + "/triggers", READ, SERVICE);
        put("GET", FN + "/triggers/{trigger}", READ, SERVICE);
        put("PATCH", FN + "/triggers/{trigger}", WRITE, SERVICE);
        put("DELETE", FN + "/triggers/{trigger}", WRITE, SERVICE);
    }

    private PermissionTable() {}

    private static void put(String method, String template, Action action, Scope scope) {
        if (scope == SERVICE && !template.contains("{service}")) {
            throw new IllegalStateException(template + " has no {service} to scope by");
        }
        if (TABLE.put(key(method, template), new Permission(action, scope)) != null) {
            throw new IllegalStateException("two entries for " + method + " " + template);
        }
    }

    /** The permission {@code method template} requires, empty when the table has no entry. */
    public static Optional<Permission> lookup(String method, String template) {
        return Optional.ofNullable(TABLE.get(key(method, template)));
    }

    /** Every entry, keyed {@code "METHOD template"}, in the table's order. */
    public static Map<String, Permission> entries() {
        return Collections.unmodifiableMap(TABLE);
    }

    public static String key(String method, String template) {
        return method.toUpperCase(Locale.ROOT) + " " + template;
    }
}
