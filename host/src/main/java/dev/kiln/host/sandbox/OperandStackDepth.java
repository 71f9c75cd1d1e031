package dev.kiln.host.sandbox;

import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.TypeSection;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The deepest the operand stack of a function body gets, in values. Chicory's compiler keeps the
 * Wasm operand stack on the JVM operand stack, whose depth ASM tracks in a 16-bit number: a body
 * that pushes about 32k values (16k i64s) makes the compiler fail with an internal error instead of
 * compiling (docs/adr/0026). Runs on a module Chicory has validated, so it only counts: every
 * instruction's pops and pushes, block heights, and the polymorphic stack after a branch (reset to
 * the block's height, an over-estimate at worst).
 *
 * <p>Only the instructions of the features {@link ModuleFeatures} accepts are known; the others
 * never reach here.
 */
final class OperandStackDepth {
    private final TypeSection types;
    private final IntFunction<FunctionType> functionType;

    /**
     * @param functionType the type of a function index (imports first)
     */
    OperandStackDepth(TypeSection types, IntFunction<FunctionType> functionType) {
        this.types = types;
        this.functionType = functionType;
    }

    /** A block: the height below its parameters, and how many results it leaves. */
    private record Frame(int base, int params, int results) {}

    int max(List<? extends Instruction> body) {
        Deque<Frame> frames = new ArrayDeque<>();
        int height = 0;
        int max = 0;
        for (Instruction ins : body) {
            int op = ins.opcode().opcode();
            switch (op) {
                case 0x02, 0x03, 0x1F -> { // block, loop, try_table
                    int[] sig = blockType(ins.operand(0));
                    frames.push(new Frame(height - sig[0], sig[0], sig[1]));
                }
                case 0x04 -> { // if: pops its condition
                    height--;
                    int[] sig = blockType(ins.operand(0));
                    frames.push(new Frame(height - sig[0], sig[0], sig[1]));
                }
                case 0x05 -> { // else: back to the parameters
                    Frame f = frames.peek();
                    if (f != null) {
                        height = f.base() + f.params();
                    }
                }
                case 0x0B -> { // end (the last one ends the function)
                    Frame f = frames.poll();
                    if (f != null) {
                        height = f.base() + f.results();
                    }
                }
                case 0x00, 0x0C, 0x0E, 0x0F, 0x08, 0x0A -> {
                    // unreachable, br, br_table, return, throw, throw_ref: the rest of the block
                    // is unreachable; its stack is polymorphic, counted from the block's height.
                    Frame f = frames.peek();
                    height = f == null ? 0 : f.base() + f.params();
                }
                case 0x10 -> { // call
                    FunctionType t = functionType.apply((int) ins.operand(0));
                    height += t.returns().size() - t.params().size();
                }
                case 0x11 -> { // call_indirect: the table index, then the arguments
                    FunctionType t = types.getType((int) ins.operand(0));
                    height += t.returns().size() - t.params().size() - 1;
                }
                default -> height += effect(op);
            }
            max = Math.max(max, height);
        }
        return max;
    }

    /** Parameters and results of a block type (empty, one value type, or a type index). */
    private int[] blockType(long operand) {
        if (operand == 0x40) {
            return new int[] {0, 0};
        }
        if (ValType.ID.isValidOpcode((int) operand)) {
            return new int[] {0, 1};
        }
        FunctionType t = types.getType((int) operand);
        return new int[] {t.params().size(), t.returns().size()};
    }

    /** Pushes minus pops of an instruction that is not a block, branch or call. */
    private static int effect(int op) {
        if (op >= 0x45 && op <= 0xC4) {
            return numericEffect(op);
        }
        return switch (op) {
            case 0x01 -> 0; // nop
            case 0x0D -> -1; // br_if
            case 0x1A -> -1; // drop
            case 0x1B, 0x1C -> -2; // select, typed select
            case 0x20, 0x23 -> 1; // local.get, global.get
            case 0x21, 0x24 -> -1; // local.set, global.set
            case 0x22 -> 0; // local.tee
            case 0x25 -> 0; // table.get
            case 0x26 -> -2; // table.set
            case 0x3F -> 1; // memory.size
            case 0x40 -> 0; // memory.grow
            case 0x41, 0x42, 0x43, 0x44 -> 1; // constants
            case 0xD0, 0xD2 -> 1; // ref.null, ref.func
            case 0xD1 -> 0; // ref.is_null
            case 0xFC08, 0xFC0A, 0xFC0B, 0xFC0C, 0xFC0E, 0xFC11 -> -3; // bulk memory and tables
            case 0xFC09, 0xFC0D -> 0; // data.drop, elem.drop
            case 0xFC0F -> -1; // table.grow
            case 0xFC10 -> 1; // table.size
            case 0xFE00 -> -1; // memory.atomic.notify
            case 0xFE01, 0xFE02 -> -2; // memory.atomic.wait32/64
            case 0xFE03 -> 0; // atomic.fence
            default -> otherEffect(op);
        };
    }

    private static int otherEffect(int op) {
        if (op >= 0x28 && op <= 0x35) {
            return 0; // loads
        }
        if (op >= 0x36 && op <= 0x3E) {
            return -2; // stores
        }
        if (op >= 0xFC00 && op <= 0xFC07) {
            return 0; // saturating truncations
        }
        if (op >= 0xFE10 && op <= 0xFE16) {
            return 0; // atomic loads
        }
        if (op >= 0xFE17 && op <= 0xFE1D) {
            return -2; // atomic stores
        }
        if (op >= 0xFE1E && op <= 0xFE47) {
            return -1; // atomic read-modify-write
        }
        if (op >= 0xFE48 && op <= 0xFE4E) {
            return -2; // atomic compare-exchange
        }
        return 0; // refused features never get here; assume no change
    }

    /** 0x45..0xC4: tests and unary operations keep the height, binary ones lower it by one. */
    private static int numericEffect(int op) {
        boolean unary =
                op == 0x45 // i32.eqz
                        || op == 0x50 // i64.eqz
                        || (op >= 0x67 && op <= 0x69) // i32 clz ctz popcnt
                        || (op >= 0x79 && op <= 0x7B) // i64 clz ctz popcnt
                        || (op >= 0x8B && op <= 0x91) // f32 abs .. sqrt
                        || (op >= 0x99 && op <= 0x9F) // f64 abs .. sqrt
                        || op >= 0xA7; // conversions, reinterpretations, sign extensions
        return unary ? 0 : -1;
    }
}
