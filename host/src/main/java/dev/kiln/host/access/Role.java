package dev.kiln.host.access;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** A key's role: the actions it grants (docs/adr/0033-api-keys-and-roles.md). */
public enum Role {
    ADMIN(EnumSet.allOf(Action.class)),
    DEVELOPER(EnumSet.of(Action.AUTHENTICATED, Action.READ, Action.INVOKE, Action.WRITE)),
    INVOKER(EnumSet.of(Action.AUTHENTICATED, Action.INVOKE)),
    VIEWER(EnumSet.of(Action.AUTHENTICATED, Action.READ));

    @SuppressWarnings("ImmutableEnumChecker") // Set.copyOf is unmodifiable
    private final Set<Action> actions;

    Role(Set<Action> actions) {
        this.actions = Set.copyOf(actions);
    }

    public boolean grants(Action action) {
        return actions.contains(action);
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a role as sent by a client; 400 naming the field otherwise. */
    public static Role parse(String text) {
        for (Role r : values()) {
            if (r.wire().equals(text)) {
                return r;
            }
        }
        throw new KilnException(
                ErrorCode.BAD_REQUEST,
                "role must be one of "
                        + Arrays.stream(values())
                                .map(Role::wire)
                                .collect(Collectors.joining(", ")));
    }
}
