package dev.kiln.host.sandbox;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.ActiveElement;
import com.dylibso.chicory.wasm.types.CompType;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.RecType;
import com.dylibso.chicory.wasm.types.SubType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.List;
import java.util.Optional;

/**
 * Finds the first use of a WebAssembly feature that Kiln refuses at upload (docs/adr/0026): what
 * Chicory 1.7.5's compiler cannot compile, what it runs differently from the specification, and
 * what allocates outside linear memory, where no limit of Kiln's reaches. Everything else that
 * Chicory's parser validates is accepted; wasm-abi/ABI.md lists it.
 *
 * <p>Works on the parsed module: every value type (in types, locals, globals, tables, element
 * segments, block types and typed {@code select}) and every instruction (in function bodies and in
 * constant expressions).
 */
final class ModuleFeatures {
    /** A feature Kiln refuses, with why, in words a module's author can act on. */
    enum Refused {
        SIMD(
                "SIMD (v128 values or 0xFD instructions)",
                "Chicory's compiler cannot compile them; build without SIMD (e.g. no -msimd128)"),
        GC(
                "garbage-collected types (struct, array, i31, any, eq and other GC references,"
                        + " or 0xFB instructions)",
                "their objects live outside linear memory, where neither memoryMiB nor fuel"
                        + " bounds them"),
        TYPED_REFERENCES(
                "typed references (ref $type, non-nullable references, call_ref, ref.as_non_null,"
                        + " br_on_null)",
                "only funcref, externref and exnref are supported"),
        TAIL_CALLS(
                "tail calls (return_call)",
                "Chicory's compiler runs them as ordinary calls, so tail recursion exhausts the"
                        + " stack instead of running in constant space");

        private final String label;
        private final String reason;

        Refused(String label, String reason) {
            this.label = label;
            this.reason = reason;
        }

        String label() {
            return label;
        }

        String reason() {
            return reason;
        }
    }

    /** The first refused feature found, and where. */
    record Finding(Refused feature, String where) {
        String message() {
            return "module uses "
                    + feature.label()
                    + " in "
                    + where
                    + ", which this host does not accept: "
                    + feature.reason();
        }
    }

    // Heap types (s33 codes) of the references Kiln accepts: func, extern, exn.
    private static final int HEAP_FUNC = ValType.TypeIdxCode.FUNC.code();
    private static final int HEAP_EXTERN = ValType.TypeIdxCode.EXTERN.code();
    private static final int HEAP_EXN = ValType.TypeIdxCode.EXN.code();

    private ModuleFeatures() {}

    static Optional<Finding> firstRefused(WasmModule module) {
        Refused found;
        var types = module.typeSection();
        for (int i = 0; i < types.typeCount(); i++) {
            if ((found = recType(types.getRecType(i))) != null) {
                return finding(found, "type " + i);
            }
        }
        var tables = module.tableSection();
        for (int i = 0; i < tables.tableCount(); i++) {
            var table = tables.getTable(i);
            if ((found = valueType(table.elementType())) != null
                    || (found = instructions(table.initialize())) != null) {
                return finding(found, "table " + i);
            }
        }
        var globals = module.globalSection();
        for (int i = 0; i < globals.globalCount(); i++) {
            var global = globals.getGlobal(i);
            if ((found = valueType(global.valueType())) != null
                    || (found = instructions(global.initInstructions())) != null) {
                return finding(found, "global " + i);
            }
        }
        var elements = module.elementSection();
        for (int i = 0; i < elements.elementCount(); i++) {
            var element = elements.getElement(i);
            found = elementType(element.type());
            if (found == null && element instanceof ActiveElement active) {
                found = instructions(active.offset());
            }
            for (var init : element.initializers()) {
                if (found == null) {
                    found = instructions(init);
                }
            }
            if (found != null) {
                return finding(found, "element segment " + i);
            }
        }
        var data = module.dataSection();
        for (int i = 0; i < data.dataSegmentCount(); i++) {
            if (data.getDataSegment(i) instanceof ActiveDataSegment active
                    && (found = instructions(active.offsetInstructions())) != null) {
                return finding(found, "data segment " + i);
            }
        }
        var bodies = module.codeSection().functionBodies();
        int imported = module.importSection().count(ExternalType.FUNCTION);
        for (int i = 0; i < bodies.length; i++) {
            var body = bodies[i];
            for (ValType local : body.localTypes()) {
                if ((found = valueType(local)) != null) {
                    return finding(found, "function " + (imported + i));
                }
            }
            if ((found = instructions(body.instructions())) != null) {
                return finding(found, "function " + (imported + i));
            }
        }
        return Optional.empty();
    }

    private static Optional<Finding> finding(Refused feature, String where) {
        return Optional.of(new Finding(feature, where));
    }

    /**
     * A recursion group of one final function type without supertypes is an ordinary function type;
     * anything else (groups, subtyping, struct and array types) is the GC proposal.
     */
    private static Refused recType(RecType rec) {
        if (rec.subTypes().length != 1) {
            return Refused.GC;
        }
        SubType sub = rec.subTypes()[0];
        if (!sub.isFinal() || sub.typeIdx().length > 0) {
            return Refused.GC;
        }
        CompType comp = sub.compType();
        FunctionType function = comp == null ? null : comp.funcType();
        if (function == null) {
            return Refused.GC; // a struct or array type
        }
        return valueTypes(function.params(), function.returns());
    }

    private static Refused valueTypes(List<ValType> params, List<ValType> results) {
        for (ValType t : params) {
            Refused r = valueType(t);
            if (r != null) {
                return r;
            }
        }
        for (ValType t : results) {
            Refused r = valueType(t);
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    private static Refused valueType(ValType type) {
        return type == null ? null : valueType(type.opcode(), type.typeIdx());
    }

    /**
     * @param opcode the type's binary code (a number type, v128, a reference shorthand such as
     *     funcref, or ref / ref null)
     * @param heapType for ref and ref null: a type index (>= 0) or an abstract heap type code
     */
    private static Refused valueType(int opcode, int heapType) {
        return switch (opcode) {
            case ValType.ID.I32, ValType.ID.I64, ValType.ID.F32, ValType.ID.F64 -> null;
            case ValType.ID.V128 -> Refused.SIMD;
            case ValType.ID.FuncRef, ValType.ID.ExternRef, ValType.ID.ExnRef -> null;
            case ValType.ID.RefNull -> nullableReference(heapType);
            case ValType.ID.Ref ->
                    heapType >= 0 || isAccepted(heapType) ? Refused.TYPED_REFERENCES : Refused.GC;
            default -> Refused.GC; // anyref, eqref, i31ref, structref, arrayref, nullref, ...
        };
    }

    /**
     * Segments of function indices (the MVP encodings) have the non-nullable type (ref func), so
     * non-nullable references to the accepted abstract heap types are accepted here.
     */
    private static Refused elementType(ValType type) {
        if (type != null && type.opcode() == ValType.ID.Ref && isAccepted(type.typeIdx())) {
            return null;
        }
        return valueType(type);
    }

    private static Refused nullableReference(int heapType) {
        if (isAccepted(heapType)) {
            return null;
        }
        return heapType >= 0 ? Refused.TYPED_REFERENCES : Refused.GC;
    }

    private static boolean isAccepted(int heapType) {
        return heapType == HEAP_FUNC || heapType == HEAP_EXTERN || heapType == HEAP_EXN;
    }

    private static Refused instructions(List<? extends Instruction> code) {
        for (Instruction ins : code) {
            Refused r = instruction(ins);
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    private static Refused instruction(Instruction ins) {
        OpCode op = ins.opcode();
        int prefix = op.opcode() >>> 8;
        if (prefix == 0xFB) {
            return Refused.GC;
        }
        if (prefix == 0xFD) {
            return Refused.SIMD;
        }
        return switch (op) {
            case RETURN_CALL, RETURN_CALL_INDIRECT, RETURN_CALL_REF -> Refused.TAIL_CALLS;
            case CALL_REF, REF_AS_NON_NULL, BR_ON_NULL, BR_ON_NON_NULL -> Refused.TYPED_REFERENCES;
            case REF_EQ -> Refused.GC;
            case REF_NULL -> nullableReference((int) ins.operand(0));
            case BLOCK, LOOP, IF, TRY_TABLE -> blockType(ins.operand(0));
            case SELECT_T -> {
                for (long id : ins.operands()) {
                    Refused r = valueTypeId(id);
                    if (r != null) {
                        yield r;
                    }
                }
                yield null;
            }
            default -> null;
        };
    }

    /**
     * Chicory stores a block type as a value type's id (opcode in the low 32 bits, heap type in the
     * high ones) or as a type index, which the type section's check covers; 0x40 is empty.
     */
    private static Refused blockType(long operand) {
        int opcode = (int) operand;
        return ValType.ID.isValidOpcode(opcode) ? valueTypeId(operand) : null;
    }

    private static Refused valueTypeId(long id) {
        return valueType((int) id, (int) (id >>> 32));
    }
}
