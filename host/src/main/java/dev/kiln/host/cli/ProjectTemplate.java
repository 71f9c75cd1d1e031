package dev.kiln.host.cli;

import dev.kiln.host.core.FunctionName;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One SDK's project template for {@code kiln new}: the SDK's {@code scaffold.txt} and the files it
 * names, copied into the host jar from {@code guest-sdks/<language>/} at build time (see
 * host/pom.xml), so the hello example and the SDK sources are never kept twice.
 */
final class ProjectTemplate {
    /** Languages with a template, in the order {@code kiln new --help} lists them. */
    static final List<String> LANGUAGES =
            List.of("rust", "c", "assemblyscript", "js", "python", "java");

    /** Project names: the server's rule for function names ({@link FunctionName#NAME}). */
    static final Pattern NAME = FunctionName.NAME;

    /** The project file naming the built module (and the function's settings): docs/adr/0044. */
    static final String MANIFEST = "kiln.json";

    private static final String ROOT = "/dev/kiln/host/cli/templates/";

    /** A file of the new project and where it comes from. */
    record Entry(String destination, String source) {
        /** Only files under the SDK's template/ folder carry placeholders. */
        boolean rendered() {
            return source.startsWith("template/");
        }
    }

    private final String language;
    private final String module;
    private final String settings;
    private final List<Entry> entries;

    private ProjectTemplate(String language, String module, String settings, List<Entry> entries) {
        this.language = language;
        this.module = module;
        this.settings = settings;
        this.entries = entries;
    }

    /**
     * Reads the template of {@code language} ({@code as} is short for assemblyscript).
     *
     * @throws IllegalArgumentException for a language without a template
     */
    static ProjectTemplate load(String language) {
        String lang =
                switch (language) {
                    case "as" -> "assemblyscript";
                    case "javascript" -> "js";
                    case "py" -> "python";
                    default -> language;
                };
        if (!LANGUAGES.contains(lang)) {
            throw new IllegalArgumentException(
                    "no template for language '"
                            + language
                            + "'; choose one of "
                            + String.join(", ", LANGUAGES));
        }
        String text = resource(lang, "scaffold.txt");
        String module = null;
        String settings = null;
        List<Entry> entries = new ArrayList<>();
        for (String raw : text.lines().toList()) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("module:")) {
                module = line.substring("module:".length()).strip();
                continue;
            }
            if (line.startsWith("settings:")) {
                // JSON members added to the project's kiln.json after "module".
                settings = line.substring("settings:".length()).strip();
                continue;
            }
            String[] parts = line.split("\\s*<-\\s*", 2);
            if (parts.length != 2 || !safeRelative(parts[0]) || !safeRelative(parts[1])) {
                throw new IllegalStateException(
                        lang + "/scaffold.txt: cannot read the line '" + line + "'");
            }
            entries.add(new Entry(parts[0], parts[1]));
        }
        if (module == null || entries.isEmpty()) {
            throw new IllegalStateException(lang + "/scaffold.txt names no module or no files");
        }
        return new ProjectTemplate(lang, module, settings, List.copyOf(entries));
    }

    String language() {
        return language;
    }

    List<Entry> entries() {
        return entries;
    }

    /** Where the project's build.sh puts the module, relative to the project. */
    String modulePath(String name) {
        return render(module, name);
    }

    /**
     * Writes the project for function {@code name} into {@code project}, which must not exist or be
     * an empty directory. Returns the files written.
     *
     * @throws IllegalArgumentException for a name {@link #NAME} refuses or a non-empty target
     */
    List<Path> writeTo(Path project, String name) throws IOException {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "'"
                            + name
                            + "' cannot name a function: use lower-case letters, digits, '-' and"
                            + " '_', starting with a letter or digit (at most 63)");
        }
        if (language.equals("rust") && Character.isDigit(name.charAt(0))) {
            // Cargo refuses package names starting with a digit; Kiln would take the function.
            throw new IllegalArgumentException(
                    "'"
                            + name
                            + "' cannot name a Rust package (Cargo refuses a leading digit); name"
                            + " the project otherwise: the function's name is given at deploy"
                            + " (kiln deploy demo/"
                            + name
                            + " <dir>)");
        }
        if (Files.exists(project) && !isEmptyDirectory(project)) {
            throw new IllegalArgumentException(project + " already exists and is not empty");
        }
        List<Path> written = new ArrayList<>();
        for (Entry e : entries) {
            Path target = project.resolve(render(e.destination(), name)).normalize();
            if (!target.startsWith(project.normalize())) {
                throw new IllegalStateException("template file escapes the project: " + target);
            }
            String content = resource(language, e.source());
            Files.createDirectories(target.getParent());
            Files.writeString(target, e.rendered() ? render(content, name) : content);
            if (target.getFileName().toString().endsWith(".sh")) {
                makeExecutable(target);
            }
            written.add(target);
        }
        // What `kiln deploy s/f DIR` and `kiln dev DIR` read: where build.sh puts the module.
        Path manifest = project.resolve(MANIFEST);
        Files.writeString(
                manifest,
                "{\n  \"module\": \""
                        + modulePath(name)
                        + "\""
                        + (settings == null ? "" : ",\n  " + settings)
                        + "\n}\n");
        written.add(manifest);
        return written;
    }

    private static String render(String text, String name) {
        return text.replace("{{name_underscored}}", name.replace('-', '_'))
                .replace("{{name}}", name);
    }

    private static boolean safeRelative(String path) {
        return !path.isEmpty()
                && !path.startsWith("/")
                && !path.contains("\\")
                && !List.of(path.split("/")).contains("..");
    }

    private static boolean isEmptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (var children = Files.list(dir)) {
            return children.findAny().isEmpty();
        }
    }

    private static void makeExecutable(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException | FileSystemException e) {
            // A file system without POSIX permissions: `bash build.sh` still works.
        }
    }

    private static String resource(String language, String path) {
        String name = ROOT + language + "/" + path;
        try (InputStream in = ProjectTemplate.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(
                        "the template file " + name + " is missing from this build of Kiln");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
