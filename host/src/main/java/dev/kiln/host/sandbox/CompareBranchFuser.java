package dev.kiln.host.sandbox;

import java.util.Map;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.InsnList;
import org.objectweb.asm.tree.InsnNode;
import org.objectweb.asm.tree.JumpInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;

/**
 * Turns a call to one of Chicory's comparison helpers that a branch consumes at once ({@code
 * invokestatic OpcodeImpl.I32_LT_S; ifne L}) into the JVM's own compare-and-branch ({@code
 * if_icmplt L}). Inlined, the helper's branch is profiled once for every call site in the JVM, so a
 * fuel check that never fails shares its taken/not-taken counts with a sort's data-dependent
 * comparisons; fused, each site has its own (docs/adr/0081). Semantics are the helper's exactly: it
 * returns 1 when its condition holds and 0 otherwise, and the branch tests that result.
 */
final class CompareBranchFuser {
    private static final String OPCODES = "com/dylibso/chicory/runtime/OpcodeImpl";

    /** How a comparison is done in plain bytecode, by what the branch then tests. */
    private enum Shape {
        /** Two ints: {@code if_icmp<cond>}. */
        INTS,
        /** Two ints compared unsigned: {@code Integer.compareUnsigned}, then {@code if<cond>}. */
        INTS_UNSIGNED,
        /** One int against zero: {@code if<cond>}. */
        INT_ZERO,
        /** Two longs: {@code lcmp}, then {@code if<cond>}. */
        LONGS,
        /** Two longs compared unsigned: {@code Long.compareUnsigned}, then {@code if<cond>}. */
        LONGS_UNSIGNED,
        /** One long against zero: {@code lconst_0; lcmp}, then {@code if<cond>}. */
        LONG_ZERO
    }

    /**
     * A helper: its descriptor, its shape and the {@code if<cond>} that holds when it returns 1.
     */
    private record Helper(String desc, Shape shape, int holds) {}

    private static final Map<String, Helper> HELPERS =
            Map.ofEntries(
                    Map.entry("I32_EQ", new Helper("(II)I", Shape.INTS, Opcodes.IFEQ)),
                    Map.entry("I32_NE", new Helper("(II)I", Shape.INTS, Opcodes.IFNE)),
                    Map.entry("I32_LT_S", new Helper("(II)I", Shape.INTS, Opcodes.IFLT)),
                    Map.entry("I32_GT_S", new Helper("(II)I", Shape.INTS, Opcodes.IFGT)),
                    Map.entry("I32_LE_S", new Helper("(II)I", Shape.INTS, Opcodes.IFLE)),
                    Map.entry("I32_GE_S", new Helper("(II)I", Shape.INTS, Opcodes.IFGE)),
                    Map.entry("I32_LT_U", new Helper("(II)I", Shape.INTS_UNSIGNED, Opcodes.IFLT)),
                    Map.entry("I32_GT_U", new Helper("(II)I", Shape.INTS_UNSIGNED, Opcodes.IFGT)),
                    Map.entry("I32_LE_U", new Helper("(II)I", Shape.INTS_UNSIGNED, Opcodes.IFLE)),
                    Map.entry("I32_GE_U", new Helper("(II)I", Shape.INTS_UNSIGNED, Opcodes.IFGE)),
                    Map.entry("I32_EQZ", new Helper("(I)I", Shape.INT_ZERO, Opcodes.IFEQ)),
                    Map.entry("I64_EQ", new Helper("(JJ)I", Shape.LONGS, Opcodes.IFEQ)),
                    Map.entry("I64_NE", new Helper("(JJ)I", Shape.LONGS, Opcodes.IFNE)),
                    Map.entry("I64_LT_S", new Helper("(JJ)I", Shape.LONGS, Opcodes.IFLT)),
                    Map.entry("I64_GT_S", new Helper("(JJ)I", Shape.LONGS, Opcodes.IFGT)),
                    Map.entry("I64_LE_S", new Helper("(JJ)I", Shape.LONGS, Opcodes.IFLE)),
                    Map.entry("I64_GE_S", new Helper("(JJ)I", Shape.LONGS, Opcodes.IFGE)),
                    Map.entry("I64_LT_U", new Helper("(JJ)I", Shape.LONGS_UNSIGNED, Opcodes.IFLT)),
                    Map.entry("I64_GT_U", new Helper("(JJ)I", Shape.LONGS_UNSIGNED, Opcodes.IFGT)),
                    Map.entry("I64_LE_U", new Helper("(JJ)I", Shape.LONGS_UNSIGNED, Opcodes.IFLE)),
                    Map.entry("I64_GE_U", new Helper("(JJ)I", Shape.LONGS_UNSIGNED, Opcodes.IFGE)),
                    Map.entry("I64_EQZ", new Helper("(J)I", Shape.LONG_ZERO, Opcodes.IFEQ)));

    private CompareBranchFuser() {}

    /**
     * Fuses every helper call in {@code m} that is followed directly by {@code ifeq} or {@code
     * ifne}. The operand stack is the same before the call and after the branch either way, so
     * stack map frames stay valid; only a long compared with zero needs two slots more at its peak,
     * for the zero.
     */
    static void fuse(MethodNode m) {
        InsnList code = m.instructions;
        boolean zeroPushed = false;
        for (AbstractInsnNode n = code.getFirst(); n != null; n = n.getNext()) {
            if (!(n instanceof MethodInsnNode call)
                    || call.getOpcode() != Opcodes.INVOKESTATIC
                    || !call.owner.equals(OPCODES)
                    || !(call.getNext() instanceof JumpInsnNode jump)
                    || (jump.getOpcode() != Opcodes.IFNE && jump.getOpcode() != Opcodes.IFEQ)) {
                continue;
            }
            Helper helper = HELPERS.get(call.name);
            if (helper == null || !helper.desc.equals(call.desc)) {
                continue;
            }
            // ifne L jumps when the helper returned 1 (its condition held), ifeq when it did not.
            int cond = jump.getOpcode() == Opcodes.IFNE ? helper.holds : negate(helper.holds);
            InsnList with = new InsnList();
            switch (helper.shape) {
                case INTS -> {}
                case INTS_UNSIGNED ->
                        with.add(
                                new MethodInsnNode(
                                        Opcodes.INVOKESTATIC,
                                        "java/lang/Integer",
                                        "compareUnsigned",
                                        "(II)I",
                                        false));
                case INT_ZERO -> {}
                case LONGS -> with.add(new InsnNode(Opcodes.LCMP));
                case LONGS_UNSIGNED ->
                        with.add(
                                new MethodInsnNode(
                                        Opcodes.INVOKESTATIC,
                                        "java/lang/Long",
                                        "compareUnsigned",
                                        "(JJ)I",
                                        false));
                case LONG_ZERO -> {
                    with.add(new InsnNode(Opcodes.LCONST_0));
                    with.add(new InsnNode(Opcodes.LCMP));
                    zeroPushed = true;
                }
            }
            int branch = helper.shape == Shape.INTS ? intCompare(cond) : cond;
            JumpInsnNode replacement = new JumpInsnNode(branch, jump.label);
            with.add(replacement);
            code.insert(jump, with);
            code.remove(call);
            code.remove(jump);
            n = replacement;
        }
        if (zeroPushed) {
            m.maxStack += 2;
        }
    }

    private static int negate(int cond) {
        return switch (cond) {
            case Opcodes.IFEQ -> Opcodes.IFNE;
            case Opcodes.IFNE -> Opcodes.IFEQ;
            case Opcodes.IFLT -> Opcodes.IFGE;
            case Opcodes.IFGE -> Opcodes.IFLT;
            case Opcodes.IFGT -> Opcodes.IFLE;
            case Opcodes.IFLE -> Opcodes.IFGT;
            default -> throw new IllegalArgumentException("not a condition: " + cond);
        };
    }

    /** {@code if<cond>} as the {@code if_icmp<cond>} comparing two ints. */
    private static int intCompare(int cond) {
        return cond - Opcodes.IFEQ + Opcodes.IF_ICMPEQ;
    }
}
