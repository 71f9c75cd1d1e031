package dev.kiln.host.sandbox;

import java.util.ArrayList;
import java.util.List;
import org.objectweb.asm.Opcodes;
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
 * Moves a fuel-metered function's deadline checks off its loops' back edges (docs/adr/0082).
 *
 * <p>Chicory checks the thread's interrupt flag before every backward branch and every call. The
 * injector marks the functions where the back-edge check is redundant, with code that does nothing
 * and that only it can emit (it names the fuel global), compiled and rewritten to {@code aload
 * memory; MemoryFuel.get} and then:
 *
 * <ul>
 *   <li>{@code pop2} (a checkpoint): where a loop header whose fuel fell below its write-back mark
 *       writes it back, which every loop reaches at least every 65 536 fuel units. It becomes
 *       {@link MemoryFuel#checkpoint}.
 *   <li>{@code l2i; pop} (calls every iteration): at the header of each loop of a function whose
 *       every loop calls first, so that Chicory's check before that call runs every time round. It
 *       is removed.
 * </ul>
 *
 * When every marker of a method has one of those shapes, the checks on its backward branches go;
 * the checks before calls stay (recursion without loops needs them). A method without markers is
 * left as it is.
 */
final class InterruptCheckMover {
    private static final String CELL = FuelAccessRewriter.CELL;
    private static final String READ_DESC = "(" + FuelAccessRewriter.MEMORY + ")J";

    private InterruptCheckMover() {}

    /** Rewrites {@code m} in place, which {@link FuelAccessRewriter} has already rewritten. */
    static void move(MethodNode m) {
        InsnList code = m.instructions;
        List<MethodInsnNode> checkpoints = new ArrayList<>();
        List<MethodInsnNode> callsFirst = new ArrayList<>();
        for (AbstractInsnNode n : code) {
            if (!isFuelRead(n) || !isMarker(next(n))) {
                continue;
            }
            if (!(n.getPrevious() instanceof VarInsnNode load)
                    || load.getOpcode() != Opcodes.ALOAD
                    || !isMarker(n.getNext())) {
                return; // a marker in another shape: keep every check Chicory put in
            }
            AbstractInsnNode after = n.getNext();
            if (after.getOpcode() == Opcodes.POP2) {
                checkpoints.add((MethodInsnNode) n);
            } else if (after.getNext() != null && after.getNext().getOpcode() == Opcodes.POP) {
                callsFirst.add((MethodInsnNode) n);
            } else {
                return;
            }
        }
        if (checkpoints.isEmpty() && callsFirst.isEmpty()) {
            return;
        }
        for (MethodInsnNode read : checkpoints) {
            code.remove(read.getPrevious()); // aload memory
            code.remove(read.getNext()); // pop2
            code.set(
                    read,
                    new MethodInsnNode(Opcodes.INVOKESTATIC, CELL, "checkpoint", "()V", false));
        }
        for (MethodInsnNode read : callsFirst) {
            code.remove(read.getPrevious()); // aload memory
            code.remove(read.getNext().getNext()); // pop
            code.remove(read.getNext()); // l2i
            code.remove(read);
        }
        List<AbstractInsnNode> backEdgeChecks = new ArrayList<>();
        for (AbstractInsnNode n : code) {
            if (isInterruptCheck(n) && branchesBack(code, n, n.getNext())) {
                backEdgeChecks.add(n);
            }
        }
        backEdgeChecks.forEach(code::remove);
    }

    /** What follows a marker's fuel read: {@code pop2}, or {@code l2i} (then {@code pop}). */
    private static boolean isMarker(AbstractInsnNode n) {
        return n != null && (n.getOpcode() == Opcodes.POP2 || n.getOpcode() == Opcodes.L2I);
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
