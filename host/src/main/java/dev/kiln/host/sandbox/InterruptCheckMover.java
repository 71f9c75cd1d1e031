package dev.kiln.host.sandbox;

import java.util.ArrayList;
import java.util.List;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.JumpInsnNode;
import org.objectweb.asm.tree.LabelNode;
import org.objectweb.asm.tree.LookupSwitchInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TableSwitchInsnNode;
import org.objectweb.asm.tree.VarInsnNode;

/**
 * Moves a fuel-metered function's deadline checks off its loops' back edges, to where its loop
 * headers write the fuel back (docs/adr/0082).
 *
 * <p>Chicory checks the thread's interrupt flag before every backward branch and every call. In a
 * function whose loop headers compare the fuel with a write-back mark, the injector puts a marker
 * ({@code global.get fuel; drop}, compiled and rewritten to {@code MemoryFuel.get; pop2}) where the
 * header writes back, which every loop reaches at least every 65 536 fuel units. This pass turns
 * each marker into {@link MemoryFuel#checkpoint} and, when it converted every one, drops the checks
 * on backward branches; the checks before calls stay (recursion without loops needs them). A method
 * without markers is left as it is.
 */
final class InterruptCheckMover {
    private static final String CELL = Type.getInternalName(MemoryFuel.class);
    private static final String READ_DESC = "(Lcom/dylibso/chicory/runtime/Memory;)J";

    private InterruptCheckMover() {}

    /** Rewrites {@code m} in place, which {@link FuelAccessRewriter} has already rewritten. */
    static void move(MethodNode m) {
        InsnList code = m.instructions;
        List<MethodInsnNode> markers = new ArrayList<>();
        for (AbstractInsnNode n : code) {
            if (isFuelRead(n) && next(n) != null && next(n).getOpcode() == Opcodes.POP2) {
                if (n.getNext().getOpcode() != Opcodes.POP2
                        || !(n.getPrevious() instanceof VarInsnNode load)
                        || load.getOpcode() != Opcodes.ALOAD) {
                    return; // a marker in another shape: keep every check Chicory put in
                }
                markers.add((MethodInsnNode) n);
            }
        }
        if (markers.isEmpty()) {
            return;
        }
        for (MethodInsnNode read : markers) {
            code.remove(read.getPrevious()); // aload memory
            code.remove(read.getNext()); // pop2
            code.set(
                    read,
                    new MethodInsnNode(Opcodes.INVOKESTATIC, CELL, "checkpoint", "()V", false));
        }
        List<AbstractInsnNode> backEdgeChecks = new ArrayList<>();
        for (AbstractInsnNode n : code) {
            if (isInterruptCheck(n) && branchesBack(code, n, n.getNext())) {
                backEdgeChecks.add(n);
            }
        }
        backEdgeChecks.forEach(code::remove);
    }

    private static boolean isFuelRead(AbstractInsnNode n) {
        return n instanceof MethodInsnNode call
                && call.getOpcode() == Opcodes.INVOKESTATIC
                && call.owner.equals(CELL)
                && call.name.equals("get")
                && call.desc.equals(READ_DESC);
    }

    /** The next instruction that is not a label, frame or line number. */
    private static AbstractInsnNode next(AbstractInsnNode n) {
        AbstractInsnNode next = n.getNext();
        while (next != null && next.getOpcode() < 0) {
            next = next.getNext();
        }
        return next;
    }

    /** Chicory's {@code checkInterruption()}, shaded into each module's classes. */
    private static boolean isInterruptCheck(AbstractInsnNode n) {
        return n instanceof MethodInsnNode call
                && call.getOpcode() == Opcodes.INVOKESTATIC
                && call.name.equals("checkInterruption")
                && call.desc.equals("()V");
    }

    /**
     * Whether {@code branch}, right after the check at {@code check}, can jump backwards: a {@code
     * goto} ({@code br}, and {@code br_if} past its fall-through) or a switch ({@code br_table})
     * with a target before it. In Wasm only a loop's label lies behind a branch.
     */
    private static boolean branchesBack(
            InsnList code, AbstractInsnNode check, AbstractInsnNode branch) {
        int at = code.indexOf(check);
        if (branch instanceof JumpInsnNode jump && jump.getOpcode() == Opcodes.GOTO) {
            return code.indexOf(jump.label) < at;
        }
        List<LabelNode> targets = new ArrayList<>();
        if (branch instanceof TableSwitchInsnNode table) {
            targets.addAll(table.labels);
            targets.add(table.dflt);
        } else if (branch instanceof LookupSwitchInsnNode lookup) {
            targets.addAll(lookup.labels);
            targets.add(lookup.dflt);
        }
        return targets.stream().anyMatch(label -> code.indexOf(label) < at);
    }
}
