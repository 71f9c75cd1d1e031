package dev.kiln.host.fuel;

import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

/**
 * Rewrites one function body for {@link FuelInjector}: charges each straight-line segment where it
 * starts, checks at function entry, loop headers and bulk operations, and keeps the fuel in a local
 * between write-backs (docs/adr/0027). Only bytes are inserted; indices stay valid.
 */
final class BodyRewriter {
    private final byte[] wasm;
    private final int bodyStart;
    private final int bodyEnd;
    private final List<Instruction> ins;
    private final int scratchLocal;
    private final int fuelGlobal;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /**
     * Per {@code if} with an {@code else}: the cost both arms' first segments share. Exactly one
     * arm runs once the {@code if} is reached, so that much is charged with the segment ending at
     * the {@code if} and left out of each arm's charge — often the whole of the short arm, whose
     * charge then disappears (a recursion's base case, for example).
     */
    private final long[] hoisted;

    /** For each {@code else}, the index of its {@code if}; -1 elsewhere. */
    private final int[] ifOfElse;

    /**
     * Whether the fuel lives in a local while this function runs (functions with loops): a loop
     * iteration then charges and checks a register instead of Chicory's global. The global is
     * written back before anything that can leave the function or read the fuel (calls, returns,
     * branches out, throws, traps) and read again after a call. Functions that catch exceptions
     * keep the global: a callee's throw would skip the write-back.
     */
    private final boolean cached;

    /**
     * Whether a cached function's loop headers compare with a write-back mark ({@link
     * #chargeAtLoopHeader}) rather than 0: not when every loop calls in its first segment, since
     * the call writes the fuel back every time round (docs/adr/0027).
     */
    private final boolean marked;

    /**
     * Whether an unmarked cached function's every loop calls in its first segment with {@code call}
     * or {@code call_indirect}, before which Chicory's compiled code checks the deadline: its loop
     * headers then carry {@link #callsEveryIteration}'s marker.
     */
    private final boolean checkedEveryIteration;

    /** For each instruction, how many blocks are open before it (label depth). */
    private final int[] depth;

    BodyRewriter(
            byte[] wasm,
            int bodyStart,
            int bodyEnd,
            FunctionBody body,
            int params,
            int fuelGlobal) {
        this.wasm = wasm;
        this.bodyStart = bodyStart;
        this.bodyEnd = bodyEnd;
        this.ins = List.copyOf(body.instructions());
        this.scratchLocal = params + body.localTypes().size();
        this.fuelGlobal = fuelGlobal;
        this.hoisted = new long[ins.size()];
        this.ifOfElse = new int[ins.size()];
        this.depth = new int[ins.size()];
        hoistArmMinimums();
        this.cached = has(OpCode.LOOP) && !has(OpCode.TRY_TABLE);
        this.marked = cached && !everyLoopCallsFirst(false);
        this.checkedEveryIteration = cached && !marked && everyLoopCallsFirst(true);
    }

    /**
     * Whether each loop's first straight-line segment (from its header) contains a call; with
     * {@code directOrIndirect}, a {@code call} or {@code call_indirect}.
     */
    private boolean everyLoopCallsFirst(boolean directOrIndirect) {
        for (int i = 0; i < ins.size(); i++) {
            if (ins.get(i).opcode() == OpCode.LOOP && !callsInSegment(i + 1, directOrIndirect)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the segment starting at {@code first} calls before it ends. */
    private boolean callsInSegment(int first, boolean directOrIndirect) {
        for (int i = first; i < ins.size(); i++) {
            OpCode op = ins.get(i).opcode();
            if (directOrIndirect ? op == OpCode.CALL || op == OpCode.CALL_INDIRECT : isCall(op)) {
                return true;
            }
            if (endsSegment(op)) {
                return false;
            }
        }
        return false;
    }

    private boolean has(OpCode op) {
        for (Instruction i : ins) {
            if (i.opcode() == op) {
                return true;
            }
        }
        return false;
    }

    private void hoistArmMinimums() {
        Arrays.fill(ifOfElse, -1);
        int[] elseOf = new int[ins.size()];
        Arrays.fill(elseOf, -1);
        ArrayDeque<Integer> open = new ArrayDeque<>();
        for (int i = 0; i < ins.size(); i++) {
            depth[i] = open.size();
            switch (ins.get(i).opcode()) {
                case BLOCK, LOOP, IF, TRY_TABLE -> open.push(i);
                case ELSE -> {
                    if (!open.isEmpty()) {
                        elseOf[open.peek()] = i;
                        ifOfElse[i] = open.peek();
                    }
                }
                case END -> {
                    if (!open.isEmpty()) {
                        open.pop();
                    }
                }
                default -> {}
            }
        }
        // Inner (later) ifs first: an arm's first segment may end at a nested if, whose
        // hoisted share is then part of that arm's cost.
        for (int i = ins.size() - 1; i >= 0; i--) {
            if (ins.get(i).opcode() == OpCode.IF && elseOf[i] >= 0) {
                hoisted[i] = Math.min(rawSegmentCost(i + 1), rawSegmentCost(elseOf[i] + 1));
            }
        }
    }

    byte[] rewrite() {
        int exprStart = ins.get(0).address();
        // Locals: the original groups, plus one i32 scratch local for bulk-operation sizes.
        int[] pos = {bodyStart};
        long groups = Leb128.readUnsigned(wasm, pos);
        Leb128.writeUnsigned(out, groups + 3);
        out.write(wasm, pos[0], exprStart - pos[0]);
        out.write(0x01);
        out.write(0x7f); // i32 scratch: bulk operation sizes
        out.write(0x01);
        out.write(0x7e); // i64 scratch: fuel left, to check without re-reading the global
        out.write(0x01);
        out.write(0x7e); // i64: the write-back mark of a cached function (loop headers)

        if (cached) {
            globalGet();
            localSet();
            if (marked) {
                setMark();
            }
        }
        // A function that neither loops nor calls runs a bounded number of instructions:
        // its charge is enough, the check can wait for the next entry or loop header.
        if (loopsOrCalls()) {
            chargeAndCheck(segmentCost(0));
        } else {
            charge(segmentCost(0));
        }
        for (int i = 0; i < ins.size(); i++) {
            OpCode op = ins.get(i).opcode();
            chargeBulk(op);
            if (cached && leavesOrReads(i)) {
                writeBack();
            }
            int from = ins.get(i).address();
            int to = i + 1 < ins.size() ? ins.get(i + 1).address() : bodyEnd;
            out.write(wasm, from, to - from);
            if (cached && isCall(op)) {
                globalGet(); // the callee charged the global
                localSet();
            }
            if (endsSegment(op) && i + 1 < ins.size()) {
                if (op == OpCode.LOOP) {
                    if (marked) {
                        chargeAtLoopHeader(segmentCost(i + 1));
                    } else {
                        chargeAndCheck(segmentCost(i + 1));
                        if (checkedEveryIteration) {
                            callsEveryIteration();
                        }
                    }
                } else {
                    charge(segmentCost(i + 1));
                }
            }
        }
        return out.toByteArray();
    }

    /** What the segment starting at {@code first} charges, after hoisting. */
    private long segmentCost(int first) {
        long shared = 0;
        if (first > 0) {
            int prev = first - 1;
            OpCode op = ins.get(prev).opcode();
            if (op == OpCode.IF) {
                shared = hoisted[prev];
            } else if (op == OpCode.ELSE && ifOfElse[prev] >= 0) {
                shared = hoisted[ifOfElse[prev]];
            }
        }
        return rawSegmentCost(first) - shared;
    }

    /**
     * Cost of the instructions from {@code first} up to and including the next segment end, plus
     * the share hoisted out of the arms when that end is an {@code if}.
     */
    private long rawSegmentCost(int first) {
        long cost = 0;
        for (int i = first; i < ins.size(); i++) {
            OpCode op = ins.get(i).opcode();
            cost += FuelCosts.of(op);
            if (endsSegment(op)) {
                if (op == OpCode.IF) {
                    cost += hoisted[i];
                }
                break;
            }
        }
        return cost;
    }

    private static boolean endsSegment(OpCode op) {
        return switch (op) {
            case BLOCK,
                    LOOP,
                    IF,
                    ELSE,
                    END,
                    BR,
                    BR_IF,
                    BR_TABLE,
                    RETURN,
                    UNREACHABLE,
                    RETURN_CALL,
                    RETURN_CALL_INDIRECT,
                    RETURN_CALL_REF,
                    THROW,
                    THROW_REF,
                    TRY_TABLE,
                    BR_ON_NULL,
                    BR_ON_NON_NULL,
                    BR_ON_CAST,
                    BR_ON_CAST_FAIL ->
                    true;
            default -> false;
        };
    }

    private boolean loopsOrCalls() {
        for (Instruction i : ins) {
            switch (i.opcode()) {
                case LOOP,
                        CALL,
                        CALL_INDIRECT,
                        CALL_REF,
                        RETURN_CALL,
                        RETURN_CALL_INDIRECT,
                        RETURN_CALL_REF -> {
                    return true;
                }
                default -> {}
            }
        }
        return false;
    }

    private static boolean isCall(OpCode op) {
        return op == OpCode.CALL || op == OpCode.CALL_INDIRECT || op == OpCode.CALL_REF;
    }

    /**
     * Whether instruction {@code i} may leave the function, or run code that reads or charges the
     * fuel global: the cached fuel must be in the global before it runs.
     */
    private boolean leavesOrReads(int i) {
        Instruction in = ins.get(i);
        return switch (in.opcode()) {
            case CALL,
                    CALL_INDIRECT,
                    CALL_REF,
                    RETURN,
                    RETURN_CALL,
                    RETURN_CALL_INDIRECT,
                    RETURN_CALL_REF,
                    THROW,
                    THROW_REF,
                    UNREACHABLE,
                    BR_ON_NULL,
                    BR_ON_NON_NULL,
                    BR_ON_CAST,
                    BR_ON_CAST_FAIL ->
                    true; // the br_on_* are rare: always writing back is simpler than decoding
            case END -> i == ins.size() - 1;
            case BR, BR_IF -> in.operands()[0] == depth[i];
            case BR_TABLE -> {
                for (long label : in.operands()) {
                    if (label == depth[i]) {
                        yield true;
                    }
                }
                yield false;
            }
            default -> false;
        };
    }

    /** fuel -= cost; if fuel < 0: unreachable — reading the global once. */
    private void chargeAndCheck(long cost) {
        if (cost == 0) {
            check(); // a loop header or entry still checks: every iteration costs somewhere
            return;
        }
        if (cached) {
            localGet();
            out.write(0x42);
            Leb128.writeSigned(out, cost);
            out.write(0x7d); // i64.sub
            out.write(0x22); // local.tee fuel
            Leb128.writeUnsigned(out, scratchLocal + 1);
            trapIfNegative();
            return;
        }
        globalGet();
        out.write(0x42);
        Leb128.writeSigned(out, cost);
        out.write(0x7d); // i64.sub
        out.write(0x22); // local.tee fuel scratch
        Leb128.writeUnsigned(out, scratchLocal + 1);
        globalSet();
        out.write(0x20); // local.get fuel scratch
        Leb128.writeUnsigned(out, scratchLocal + 1);
        out.write(0x42);
        out.write(0x00);
        out.write(0x53); // i64.lt_s
        out.write(0x04);
        out.write(0x40);
        out.write(0x00); // unreachable
        out.write(0x0b);
    }

    /**
     * A cached function's loop header: {@code fuel -= cost; if fuel < mark: write back, trap if
     * fuel < 0, mark = max(fuel - WRITE_BACK_INTERVAL, 0)}. The mark is never negative, so this
     * traps exactly when the plain check would; on the way it writes the fuel back at least every
     * {@link FuelInjector#WRITE_BACK_INTERVAL} units, so a loop the deadline interrupts (which
     * skips every other write-back) has had its fuel recorded up to then. Costs the hot path one
     * local read more than comparing with 0.
     */
    private void chargeAtLoopHeader(long cost) {
        localGet();
        if (cost != 0) {
            out.write(0x42);
            Leb128.writeSigned(out, cost);
            out.write(0x7d); // i64.sub
            out.write(0x22); // local.tee fuel
            Leb128.writeUnsigned(out, scratchLocal + 1);
        }
        markGet();
        out.write(0x53); // i64.lt_s
        out.write(0x04);
        out.write(0x40); // if (empty)
        writeBack();
        checkpoint();
        check(); // traps (after the write-back) when the fuel is spent
        setMark();
        out.write(0x0b); // end
    }

    /**
     * {@code global.get fuel; drop}: does nothing here, and is nothing the original code can
     * contain (it cannot name the fuel global). Kiln's compiled code turns it into a deadline check
     * and drops the checks Chicory puts on the loops' back edges, which always pass a header that
     * gets here at least every {@link FuelInjector#WRITE_BACK_INTERVAL} units (docs/adr/0082).
     */
    private void checkpoint() {
        globalGet();
        out.write(0x1a); // drop
    }

    /**
     * {@code global.get fuel; i32.wrap_i64; drop}, at the header of every loop of a function whose
     * every loop calls in its first segment: it does nothing here, and tells Kiln's compiled code
     * that each loop passes the deadline check before that call every time round, so the one on its
     * back edge can go (docs/adr/0082).
     */
    private void callsEveryIteration() {
        globalGet();
        out.write(0xa7); // i32.wrap_i64
        out.write(0x1a); // drop
    }

    /** mark = max(fuel - WRITE_BACK_INTERVAL, 0) */
    private void setMark() {
        localGet();
        out.write(0x42);
        Leb128.writeSigned(out, FuelInjector.WRITE_BACK_INTERVAL);
        out.write(0x7d); // i64.sub
        out.write(0x22); // local.tee mark
        Leb128.writeUnsigned(out, scratchLocal + 2);
        out.write(0x42);
        out.write(0x00); // i64.const 0
        markGet();
        out.write(0x42);
        out.write(0x00);
        out.write(0x55); // i64.gt_s
        out.write(0x1b); // select: mark > 0 ? mark : 0
        out.write(0x21); // local.set mark
        Leb128.writeUnsigned(out, scratchLocal + 2);
    }

    private void markGet() {
        out.write(0x20);
        Leb128.writeUnsigned(out, scratchLocal + 2);
    }

    /** fuel -= cost */
    private void charge(long cost) {
        if (cost == 0) {
            return; // a segment of structure only (e.g. the `end`s after an `if`)
        }
        loadFuel();
        out.write(0x42);
        Leb128.writeSigned(out, cost);
        out.write(0x7d); // i64.sub
        storeFuel();
    }

    /** if fuel < 0: unreachable */
    private void check() {
        loadFuel();
        trapIfNegative();
    }

    /** Consumes the fuel value on the stack; traps when it is negative. */
    private void trapIfNegative() {
        out.write(0x42);
        out.write(0x00);
        out.write(0x53); // i64.lt_s
        out.write(0x04);
        out.write(0x40); // if (empty)
        if (cached) {
            writeBack(); // the host tells fuel_exhausted by the global
        }
        out.write(0x00); // unreachable
        out.write(0x0b); // end
    }

    private void loadFuel() {
        if (cached) {
            localGet();
        } else {
            globalGet();
        }
    }

    private void storeFuel() {
        if (cached) {
            localSet();
        } else {
            globalSet();
        }
    }

    private void writeBack() {
        localGet();
        globalSet();
    }

    private void localGet() {
        out.write(0x20);
        Leb128.writeUnsigned(out, scratchLocal + 1);
    }

    private void localSet() {
        out.write(0x21);
        Leb128.writeUnsigned(out, scratchLocal + 1);
    }

    /**
     * Bulk operations take their size from the top of the stack: charge it, then check, so a huge
     * fill is refused before it runs.
     */
    private void chargeBulk(OpCode op) {
        int shift;
        long multiplier = 1;
        switch (op) {
            case MEMORY_FILL, MEMORY_COPY, MEMORY_INIT -> shift = FuelCosts.BYTES_PER_UNIT_SHIFT;
            case TABLE_FILL, TABLE_COPY, TABLE_INIT, TABLE_GROW -> shift = 0;
            case MEMORY_GROW -> {
                shift = 0;
                multiplier = FuelCosts.PER_PAGE;
            }
            default -> {
                return;
            }
        }
        out.write(0x22); // local.tee scratch
        Leb128.writeUnsigned(out, scratchLocal);
        loadFuel();
        out.write(0x20); // local.get scratch
        Leb128.writeUnsigned(out, scratchLocal);
        out.write(0xad); // i64.extend_i32_u
        if (shift > 0) {
            out.write(0x42);
            Leb128.writeSigned(out, shift);
            out.write(0x88); // i64.shr_u
        }
        if (multiplier != 1) {
            out.write(0x42);
            Leb128.writeSigned(out, multiplier);
            out.write(0x7e); // i64.mul
        }
        out.write(0x7d); // i64.sub
        storeFuel();
        check();
    }

    private void globalGet() {
        out.write(0x23);
        Leb128.writeUnsigned(out, fuelGlobal);
    }

    private void globalSet() {
        out.write(0x24);
        Leb128.writeUnsigned(out, fuelGlobal);
    }
}
