package dev.kiln.host.cli;

import dev.kiln.host.config.DataDirLock;
import dev.kiln.host.secrets.SecretKeyring;
import dev.kiln.host.secrets.Secrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kiln secrets}: offline maintenance of the secrets at rest (docs/adr/0034). */
@Command(
        name = "secrets",
        mixinStandardHelpOptions = true,
        description = "Maintain the encrypted secrets of a data directory.",
        subcommands = {SecretsCommand.RotateKey.class})
final class SecretsCommand {

    /** {@code kiln secrets rotate-key}: a new key, every secret re-sealed, old keys dropped. */
    @Command(
            name = "rotate-key",
            mixinStandardHelpOptions = true,
            description =
                    "Add a new secrets key, re-encrypt every secret with it, then remove the old"
                            + " keys. Stop the host first (the data directory is locked while it"
                            + " runs); back up secrets.key and secrets.db before and after.")
    static final class RotateKey implements Callable<Integer> {
        @Option(names = "--data", description = "Data directory (default: ${DEFAULT-VALUE}).")
        Path data = Path.of("kiln-data");

        @Override
        public Integer call() throws Exception {
            if (!Files.isDirectory(data)) {
                System.err.println("kiln secrets rotate-key: no data directory " + data);
                return 2;
            }
            if (!SecretKeyring.exists(data)) {
                System.err.println(
                        "kiln secrets rotate-key: "
                                + data.resolve(SecretKeyring.FILE_NAME)
                                + " does not exist (nothing to rotate)");
                return 2;
            }
            // Held throughout: a running host (which holds it too) must not see its keys change.
            DataDirLock lock;
            try {
                lock = DataDirLock.acquire(data);
            } catch (IllegalStateException e) {
                System.err.println("kiln secrets rotate-key: " + e.getMessage());
                return 1;
            }
            try (lock;
                    Secrets secrets = Secrets.open(data)) {
                int functions = secrets.rotateKey();
                System.out.println(
                        "re-encrypted the secrets of "
                                + functions
                                + " functions with key "
                                + secrets.activeKeyId()
                                + "; older keys removed from "
                                + data.resolve(SecretKeyring.FILE_NAME));
                return 0;
            } catch (IllegalStateException e) {
                System.err.println("kiln secrets rotate-key: " + e.getMessage());
                return 1;
            }
        }
    }
}
