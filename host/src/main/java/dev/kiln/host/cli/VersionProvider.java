package dev.kiln.host.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports the version from the jar manifest. */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = KilnCli.class.getPackage().getImplementationVersion();
        return new String[] {"kiln " + (v == null ? "dev" : v)};
    }
}
