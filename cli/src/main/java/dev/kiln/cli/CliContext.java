package dev.kiln.cli;

import dev.kiln.client.KilnClient;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the API commands read from outside their arguments: the environment (KILN_ENDPOINT,
 * KILN_TOKEN, KILN_PROFILE, KILN_CONFIG_DIR), standard input and the profiles file. Tests give
 * their own, so nothing here reads {@code System.getenv} past {@link #system()}.
 */
public final class CliContext {
    static final String DEFAULT_ENDPOINT = "http://127.0.0.1:8080";

    private final Map<String, String> env;
    private final InputStream stdin;
    private final OutputStream stdout;

    /**
     * @param stdout where commands print; answers' raw bytes ({@code kiln invoke}) go straight to
     *     it, text through the command line's writer on it
     */
    public CliContext(Map<String, String> env, InputStream stdin, OutputStream stdout) {
        this.env = Map.copyOf(env);
        this.stdin = stdin;
        this.stdout = stdout;
    }

    /** The process's own environment and standard streams. */
    public static CliContext system() {
        return new CliContext(System.getenv(), System.in, System.out);
    }

    OutputStream stdout() {
        return stdout;
    }

    /** An environment variable, or null when unset or blank. */
    String env(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v;
    }

    InputStream stdin() {
        return stdin;
    }

    /**
     * Where {@code kiln login} keeps its profiles: {@code KILN_CONFIG_DIR}, else {@code
     * $XDG_CONFIG_HOME/kiln}, else {@code ~/.config/kiln}.
     */
    Path configDir() {
        if (env("KILN_CONFIG_DIR") != null) {
            return Path.of(env("KILN_CONFIG_DIR"));
        }
        if (env("XDG_CONFIG_HOME") != null) {
            return Path.of(env("XDG_CONFIG_HOME"), "kiln");
        }
        String home = env("HOME") != null ? env("HOME") : System.getProperty("user.home");
        return Path.of(home, ".config", "kiln");
    }

    Profiles profiles() {
        return new Profiles(configDir().resolve(Profiles.FILE_NAME));
    }

    /**
     * The endpoint and key a command uses. An explicit {@code --profile} takes its values from the
     * profiles file; otherwise {@code KILN_ENDPOINT}/{@code KILN_TOKEN} win over the file's profile
     * (named by {@code KILN_PROFILE}, else {@code default}), as the AWS CLI does. {@code
     * --endpoint} wins over both.
     */
    Connection connection(ConnectionOptions options) {
        String profileName = options.profile;
        boolean explicit = profileName != null;
        if (!explicit) {
            profileName = env("KILN_PROFILE") != null ? env("KILN_PROFILE") : Profiles.DEFAULT;
        }
        Profiles.Profile saved = profiles().read().get(profileName);
        if (explicit && saved == null) {
            throw new CliFailure(
                    "no_profile",
                    "no profile '"
                            + profileName
                            + "' in "
                            + profiles().file()
                            + "; create it with: kiln login --profile "
                            + profileName);
        }
        String endpoint = null;
        String token = null;
        if (!explicit) {
            endpoint = env("KILN_ENDPOINT");
            token = env("KILN_TOKEN");
        }
        if (saved != null) {
            endpoint = endpoint != null ? endpoint : saved.endpoint();
            token = token != null ? token : saved.token();
        }
        if (options.endpoint != null) {
            endpoint = options.endpoint;
        }
        return new Connection(endpoint != null ? endpoint : DEFAULT_ENDPOINT, token);
    }

    /** A client of the command's connection; large uploads report progress on {@code err}. */
    KilnClient client(ConnectionOptions options, PrintWriter err) {
        Connection c = connection(options);
        return KilnClient.builder()
                .endpoint(c.endpoint())
                .token(c.token())
                .uploadProgress(new ProgressLine(err, "uploading"))
                .build();
    }

    /** Endpoint and key (null when none is configured). */
    record Connection(String endpoint, String token) {}
}
