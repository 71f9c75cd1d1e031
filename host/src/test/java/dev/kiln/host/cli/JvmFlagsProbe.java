package dev.kiln.host.cli;

/** Prints what {@link JvmFlags} reads from the JVM it runs in; {@link JvmFlagsTest} starts it. */
final class JvmFlagsProbe {
    private JvmFlagsProbe() {}

    public static void main(String[] args) {
        System.out.println(
                "exitsOnOutOfMemory="
                        + JvmFlags.exitsOnOutOfMemory()
                        + " compilesHugeMethods="
                        + JvmFlags.compilesHugeMethods());
    }
}
