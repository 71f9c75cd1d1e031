package dev.kiln.host.sandbox;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.IntInsnNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.VarInsnNode;

/**
 * Rewrites the classes Chicory compiled from a fuel-metered module so that its reads and writes of
 * the fuel global go to {@link MemoryFuel} instead: one field of the memory every compiled function
 * receives, where Chicory's global access walks the instance's imports and globals (docs/adr/0065).
 * Works on the jar Chicory hands its code cache; a jar it rewrote carries {@link #MARKER}. Every
 * method it rewrites also goes through {@link CompareBranchFuser} (docs/adr/0081) and {@link
 * InterruptCheckMover} (docs/adr/0082), the one pass over Chicory's output serving all three.
 */
final class FuelAccessRewriter {
    /**
     * A jar entry Chicory's loader ignores, first in a jar whose code keeps the fuel on the memory
     * (first, so telling needs no pass over the classes).
     */
    static final String MARKER = "kiln-fuel-on-memory";

    private static final String INSTANCE = "Lcom/dylibso/chicory/runtime/Instance;";
    static final String MEMORY = "Lcom/dylibso/chicory/runtime/Memory;";
    private static final String READ_DESC = "(I" + INSTANCE + ")J";
    private static final String WRITE_DESC = "(JI" + INSTANCE + ")V";
    static final String CELL = Type.getInternalName(MemoryFuel.class);

    private FuelAccessRewriter() {}

    /** Whether the compiled code in {@code jar} keeps its fuel on the memory. */
    static boolean fuelOnMemory(byte[] jar) {
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            JarEntry first = in.getNextJarEntry();
            return first != null && first.getName().equals(MARKER);
        } catch (IOException e) {
            return false; // Chicory's loader will report the broken jar
        }
    }

    /**
     * {@code jar} with every access to global {@code fuelGlobal} going to the memory's fuel, and
     * the marker; or {@code jar} itself when the code cannot be rewritten as a whole: some
     * functions fell back to Chicory's interpreter (which reads the global), or an access did not
     * have the shape Chicory emits. A half-rewritten module would charge two counters.
     */
    static byte[] rewrite(byte[] jar, int fuelGlobal) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        out.put(MARKER, new byte[0]);
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                byte[] bytes = in.readAllBytes();
                if (e.getName().endsWith(".class")) {
                    bytes = rewriteClass(bytes, fuelGlobal);
                    if (bytes == null) {
                        return jar;
                    }
                }
                out.put(e.getName(), bytes);
            }
        } catch (IOException e) {
            return jar;
        }
        return write(out);
    }

    /** The class rewritten, or null when it cannot be. */
    private static byte[] rewriteClass(byte[] bytes, int fuelGlobal) {
        ClassNode cls = new ClassNode();
        new ClassReader(bytes).accept(cls, 0);
        for (FieldNode f : cls.fields) {
            if (f.name.equals("compilerInterpreterMachine")) {
                return null; // some functions run in Chicory's interpreter
            }
        }
        for (MethodNode m : cls.methods) {
            if (!rewriteMethod(m, fuelGlobal)) {
                return null;
            }
            CompareBranchFuser.fuse(m);
            InterruptCheckMover.move(m);
        }
        ClassWriter w = new ClassWriter(0); // same stack shapes: frames and maxima stay valid
        cls.accept(w);
        return w.toByteArray();
    }

    /**
     * Replaces {@code iconst fuel; aload instance; invokestatic readGlobal} by {@code aload memory;
     * invokestatic MemoryFuel.get}, and the same for writes; false when a global access is not in
     * that shape or the method has no memory parameter to load.
     */
    private static boolean rewriteMethod(MethodNode m, int fuelGlobal) {
        InsnList code = m.instructions;
        int memory = memorySlot(m);
        for (AbstractInsnNode n = code.getFirst(); n != null; n = n.getNext()) {
            if (!(n instanceof MethodInsnNode call) || call.getOpcode() != Opcodes.INVOKESTATIC) {
                continue;
            }
            boolean read = call.name.equals("readGlobal") && call.desc.equals(READ_DESC);
            boolean write = call.name.equals("writeGlobal") && call.desc.equals(WRITE_DESC);
            if (!read && !write) {
                continue;
            }
            if (!(call.getPrevious() instanceof VarInsnNode instance)
                    || instance.getOpcode() != Opcodes.ALOAD) {
                return false;
            }
            Integer index = intConstant(instance.getPrevious());
            if (index == null) {
                return false;
            }
            if (index != fuelGlobal) {
                continue;
            }
            if (memory < 0 || memory != instance.var - 1) {
                return false;
            }
            code.remove(instance.getPrevious());
            code.set(instance, new VarInsnNode(Opcodes.ALOAD, memory));
            MethodInsnNode cell =
                    new MethodInsnNode(
                            Opcodes.INVOKESTATIC,
                            CELL,
                            read ? "get" : "set",
                            read ? "(" + MEMORY + ")J" : "(J" + MEMORY + ")V",
                            false);
            code.set(call, cell);
            n = cell;
        }
        return true;
    }

    /** The local slot of a static method's memory parameter, or -1 when it has none. */
    private static int memorySlot(MethodNode m) {
        if ((m.access & Opcodes.ACC_STATIC) == 0) {
            return -1;
        }
        int slot = 0;
        for (Type t : Type.getArgumentTypes(m.desc)) {
            if (t.getDescriptor().equals(MEMORY)) {
                return slot;
            }
            slot += t.getSize();
        }
        return -1;
    }

    private static Integer intConstant(AbstractInsnNode n) {
        if (n == null) {
            return null;
        }
        int op = n.getOpcode();
        if (op >= Opcodes.ICONST_M1 && op <= Opcodes.ICONST_5) {
            return op - Opcodes.ICONST_0;
        }
        if (n instanceof IntInsnNode i && (op == Opcodes.BIPUSH || op == Opcodes.SIPUSH)) {
            return i.operand;
        }
        if (n instanceof LdcInsnNode l && l.cst instanceof Integer i) {
            return i;
        }
        return null;
    }

    private static byte[] write(Map<String, byte[]> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream out = new JarOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                out.putNextEntry(new JarEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
