package dev.kiln.host.registry;

import java.util.List;
import java.util.Objects;

/**
 * Everything a function is that changes together: its settings with its newest version, and its
 * aliases. The unit a {@link RegistryStorage} writes and announces (in cluster mode, one
 * compare-and-set document per function: docs/adr/0048).
 */
public record FunctionState(FunctionInfo info, List<AliasInfo> aliases) {
    public FunctionState {
        Objects.requireNonNull(info, "info");
        aliases = List.copyOf(aliases);
    }
}
