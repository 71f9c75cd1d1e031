package dev.kiln.host.deploy;

import dev.kiln.host.registry.AliasInfo;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.registry.VersionInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aliases and version deletion (docs/adr/0037): each change is stored by the {@link Registry}, then
 * the {@link Deployer} settles the pools (a version that lost all its traffic drains) and the
 * compiled code (a version nothing can run any more loses it).
 */
public final class Releases {
    private static final Logger log = LoggerFactory.getLogger(Releases.class);

    private final Registry registry;
    private final Deployer deployer;

    public Releases(Registry registry, Deployer deployer) {
        this.registry = registry;
        this.deployer = deployer;
    }

    /** Creates or replaces an alias; takes effect on the next invocation through it. */
    public Registry.AliasWrite putAlias(
            String service, String function, String name, AliasRequest request) {
        Optional<AliasInfo> before = registry.alias(service, function, name);
        Registry.AliasWrite write =
                registry.putAlias(
                        service,
                        function,
                        name,
                        request.version(),
                        request.additionalVersion(),
                        request.additionalWeight(),
                        request.description());
        deployer.settle(service, function, versionsOf(service, function, before));
        log.info(
                "alias {} of {}/{} now runs version {}{}",
                name,
                service,
                function,
                request.version(),
                request.additionalVersion() == 0
                        ? ""
                        : " and version "
                                + request.additionalVersion()
                                + " at weight "
                                + request.additionalWeight());
        return write;
    }

    /** Deletes an alias. */
    public AliasInfo deleteAlias(String service, String function, String name) {
        AliasInfo gone = registry.deleteAlias(service, function, name);
        deployer.settle(service, function, versionsOf(service, function, Optional.of(gone)));
        return gone;
    }

    /** Deletes a version no alias points at and LATEST does not run. */
    public VersionInfo deleteVersion(String service, String function, int number) {
        VersionInfo gone = registry.deleteVersion(service, function, number);
        deployer.settle(service, function, List.of(gone));
        log.info("deleted version {} of {}/{}", number, service, function);
        return gone;
    }

    private List<VersionInfo> versionsOf(
            String service, String function, Optional<AliasInfo> alias) {
        List<VersionInfo> out = new ArrayList<>();
        alias.ifPresent(
                a -> {
                    registry.version(service, function, a.version()).ifPresent(out::add);
                    if (a.additionalVersion() != 0) {
                        registry.version(service, function, a.additionalVersion())
                                .ifPresent(out::add);
                    }
                });
        return out;
    }
}
