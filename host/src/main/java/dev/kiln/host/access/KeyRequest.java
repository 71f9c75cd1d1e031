package dev.kiln.host.access;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The body of {@code POST /api/v1/keys}: {@code {"name","role","services":[...]}}. Every refusal is
 * a 400 whose message starts with the field at fault.
 */
public record KeyRequest(String name, Role role, ServiceScope services) {
    public static final int MAX_NAME_CHARS = 100;
    public static final int MAX_PATTERNS = 64;
    private static final Set<String> FIELDS = Set.of("name", "role", "services");

    public static KeyRequest fromJson(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw bad("the body must be a JSON object {\"name\",\"role\",\"services\"}");
        }
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw bad(f + ": unknown field; a key has name, role and services");
            }
        }
        JsonNode nameNode = json.get("name");
        if (nameNode == null || !nameNode.isTextual()) {
            throw bad("name: required, a string of 1 to " + MAX_NAME_CHARS + " characters");
        }
        String name = nameNode.asText();
        if (name.isBlank()
                || name.length() > MAX_NAME_CHARS
                || name.chars().anyMatch(Character::isISOControl)) {
            throw bad(
                    "name: must be 1 to "
                            + MAX_NAME_CHARS
                            + " characters without control characters");
        }
        JsonNode roleNode = json.get("role");
        if (roleNode == null || !roleNode.isTextual()) {
            throw bad("role: required, one of admin, developer, invoker, viewer");
        }
        Role role;
        try {
            role = Role.parse(roleNode.asText());
        } catch (KilnException e) {
            throw bad("role: " + e.getMessage());
        }
        ServiceScope services = services(json.get("services"));
        if (role == Role.ADMIN && !services.coversAll()) {
            throw bad("services: an admin key reaches every service; omit services");
        }
        return new KeyRequest(name, role, services);
    }

    private static ServiceScope services(JsonNode n) {
        if (n == null || n.isNull()) {
            return ServiceScope.ALL;
        }
        if (!n.isArray() || n.isEmpty() || n.size() > MAX_PATTERNS) {
            throw bad(
                    "services: must be a list of 1 to "
                            + MAX_PATTERNS
                            + " service patterns (omit it for every service)");
        }
        List<ServicePattern> patterns = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            JsonNode p = n.get(i);
            if (!p.isTextual() || !ServicePattern.valid(p.asText())) {
                throw bad(
                        "services["
                                + i
                                + "]: a pattern is a service name ('shop'), a prefix ending in"
                                + " '*' ('shop-*'), or '*'");
            }
            patterns.add(new ServicePattern(p.asText()));
        }
        return new ServiceScope(patterns);
    }

    private static KilnException bad(String message) {
        return new KilnException(ErrorCode.BAD_REQUEST, message);
    }
}
