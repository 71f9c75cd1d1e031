package dev.kiln.host.sandbox;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.MethodNode;

/** The methods Chicory compiled a module's functions into, read back from its code jar. */
final class GuestMethods {
    private GuestMethods() {}

    /** Each Wasm function's method in {@code jar}, by its name ({@code func_<index>}). */
    static Map<String, MethodNode> of(byte[] jar) {
        Map<String, MethodNode> functions = new TreeMap<>();
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                if (!e.getName().endsWith(".class")) {
                    continue;
                }
                ClassNode cls = new ClassNode();
                new ClassReader(in.readAllBytes()).accept(cls, 0);
                for (MethodNode m : cls.methods) {
                    if (m.name.startsWith("func_")) {
                        functions.put(m.name, m);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return functions;
    }
}
