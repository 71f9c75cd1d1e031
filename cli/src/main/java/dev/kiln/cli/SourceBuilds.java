package dev.kiln.cli;

/** The language builds {@code kiln deploy} runs on a single source file. */
record SourceBuilds(JsBuild js, JavaBuild java) {
    static SourceBuilds from(CliContext context) {
        return new SourceBuilds(JsBuild.from(context), JavaBuild.from(context));
    }
}
