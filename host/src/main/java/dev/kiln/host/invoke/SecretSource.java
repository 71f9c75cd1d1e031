package dev.kiln.host.invoke;

import java.util.Map;

/**
 * A function's secrets, decrypted, as the guest reads them (with its env) through {@code
 * kiln.config_get} or, for wasi-cgi, its environment. Implemented by the secrets store; the map
 * returned for a function stays the same object until its secrets change, so callers may cache on
 * its identity.
 */
@FunctionalInterface
public interface SecretSource {
    SecretSource NONE = (service, function) -> Map.of();

    Map<String, String> secrets(String service, String function);
}
