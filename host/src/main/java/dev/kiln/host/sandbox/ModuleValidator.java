package dev.kiln.host.sandbox;

import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.ValType;
import dev.kiln.abi.AbiV1;
import dev.kiln.abi.HostCall;
import dev.kiln.abi.Signature;
import dev.kiln.abi.ValueKind;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.fuel.Leb128;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Decides whether a module may be stored: it must parse and validate, import only what its ABI
 * allows (kiln ABI v1 host functions, or the WASI preview 1 functions the host implements), export
 * what the ABI requires with the right signatures, and fit its memory cap. Runs before anything is
 * stored or compiled.
 */
public final class ModuleValidator {
    private static final FunctionType ALLOC_TYPE =
            FunctionType.of(List.of(ValType.I32), List.of(ValType.I32));
    private static final FunctionType HANDLE_TYPE =
            FunctionType.of(List.of(ValType.I32, ValType.I32), List.of(ValType.I64));
    private static final FunctionType INIT_TYPE = FunctionType.of(List.of(), List.of());

    /** The entry point of a WASI command module. */
    static final String WASI_START = "_start";

    private static final FunctionType ABI_VERSION_TYPE =
            FunctionType.of(List.of(), List.of(ValType.I32));

    private ModuleValidator() {}

    /** Parses and checks {@code wasm}; throws {@code invalid_module} naming what is wrong. */
    public static ValidatedModule validate(byte[] wasm, ModuleRules rules) {
        WasmModule module = parse(wasm, rules.limits());
        try {
            return check(wasm, module, rules);
        } catch (KilnException e) {
            throw e;
        } catch (RuntimeException e) {
            // Chicory's parser accepts some inconsistent modules (UploadFuzzTest found a function
            // whose type index does not exist); whatever else such a module trips over in our
            // checks is still the module's fault, not a host error.
            throw invalid("module is malformed: it refers to an entry that does not exist");
        }
    }

    private static ValidatedModule check(byte[] wasm, WasmModule module, ModuleRules rules) {
        // Features first: the other checks assume function types and a compilable module.
        ModuleFeatures.firstRefused(module)
                .ifPresent(
                        f -> {
                            throw invalid(f.message());
                        });
        checkDeclarations(module, rules.limits());
        if (rules.abi() == Abi.WASI_CGI) {
            checkWasiImports(module);
            MemoryLimits memory = checkMemory(module, rules);
            requireExport(module, WASI_START, INIT_TYPE);
            // Every invocation runs on a new instance: nothing to initialise once or to reset.
            return new ValidatedModule(
                    wasm, module, rules, memory, false, false, ModuleTraits.of(module));
        }
        refuseWasiCommand(module, rules);
        checkImports(module);
        MemoryLimits memory = checkMemory(module, rules);
        requireExport(module, AbiV1.EXPORT_ALLOC, ALLOC_TYPE);
        requireExport(module, rules.handler(), HANDLE_TYPE);
        boolean hasInit = optionalExport(module, AbiV1.EXPORT_INIT, INIT_TYPE);
        boolean hasAbiVersion = optionalExport(module, AbiV1.EXPORT_ABI_VERSION, ABI_VERSION_TYPE);
        return new ValidatedModule(
                wasm, module, rules, memory, hasInit, hasAbiVersion, ModuleTraits.of(module));
    }

    private static WasmModule parse(byte[] wasm, ModuleLimits limits) {
        if (wasm.length < 8 || wasm[0] != 0 || wasm[1] != 'a' || wasm[2] != 's' || wasm[3] != 'm') {
            if (looksLikeWat(wasm)) {
                throw invalid(
                        "this is WebAssembly text (WAT), not a binary module: compile it first"
                                + " (wat2wasm hello.wat -o hello.wasm) and upload the .wasm");
            }
            throw invalid("not a WebAssembly binary (bad magic number)");
        }
        cap("code section bytes", codeSectionBytes(wasm), limits.maxCodeBytes());
        String memoryFeature = unsupportedMemoryFeature(wasm);
        if (memoryFeature != null) {
            throw invalid(
                    "module uses "
                            + memoryFeature
                            + ", which this host does not accept: memories are 32-bit with 64 KiB"
                            + " pages");
        }
        try {
            return Parser.parse(wasm);
        } catch (ChicoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw invalid("module does not parse or validate: " + safeMessage(e));
        } catch (RuntimeException | StackOverflowError | AssertionError e) {
            // Chicory's parser also fails on some malformed input without a ChicoryException
            // (UploadFuzzTest found a NullPointerException, and an AssertionError when run with
            // -ea): still the module's fault, and the text describes the parser, not the module.
            throw invalid("module does not parse: malformed binary");
        } catch (OutOfMemoryError e) {
            // Chicory allocates a name or vector at its declared length before checking that
            // the input holds that much (UploadFuzzTest: a 3 KB module declared a ~1 GB import
            // name). The failed allocation never took the memory, so refusing is safe;
            // maxUploadBytes and the int range bound what a declared length can ask for.
            throw invalid("module does not parse: it declares a size larger than the module");
        }
    }

    /**
     * The code section's declared size, read from the section headers alone so that it can be
     * refused before Chicory parses anything. Malformed headers are left to the parser.
     */
    static long codeSectionBytes(byte[] wasm) {
        return sectionBytes(wasm, 10);
    }

    /**
     * The data section's size from its header (0 when absent or malformed): data segments are held
     * as bytes, not compiled, so the memory budget counts them apart from code (a Python module is
     * three quarters data).
     */
    public static long dataSectionBytes(byte[] wasm) {
        return sectionBytes(wasm, 11);
    }

    private static long sectionBytes(byte[] wasm, int wanted) {
        int[] pos = {8};
        try {
            while (pos[0] < wasm.length) {
                int id = wasm[pos[0]++] & 0xff;
                long size = Leb128.readUnsigned(wasm, pos);
                if (id == wanted) {
                    return size;
                }
                if (size < 0 || size > wasm.length - pos[0]) { // a 64-bit size can be negative
                    return 0;
                }
                pos[0] += (int) size;
            }
        } catch (IllegalArgumentException e) {
            return 0; // a truncated or overlong size
        }
        return 0;
    }

    /**
     * Names the memory feature of the memory section that Chicory's parser would refuse only as an
     * "invalid memory limit" (memory64, custom page sizes), or null. Malformed sections are left to
     * the parser.
     */
    static String unsupportedMemoryFeature(byte[] wasm) {
        int[] pos = {8};
        try {
            while (pos[0] < wasm.length) {
                int id = wasm[pos[0]++] & 0xff;
                long size = Leb128.readUnsigned(wasm, pos);
                if (size < 0 || size > wasm.length - pos[0]) {
                    return null;
                }
                if (id == 5) {
                    long count = Leb128.readUnsigned(wasm, pos);
                    // Only the first memory's flags: a second memory is refused anyway.
                    if (count == 0 || pos[0] >= wasm.length) {
                        return null;
                    }
                    int flags = wasm[pos[0]] & 0xff;
                    if ((flags & 0x04) != 0) {
                        return "64-bit memory (memory64)";
                    }
                    if ((flags & 0x08) != 0) {
                        return "custom page sizes";
                    }
                    return null;
                }
                pos[0] += (int) size;
            }
        } catch (IllegalArgumentException e) {
            return null; // a truncated or overlong size
        }
        return null;
    }

    private static void checkDeclarations(WasmModule module, ModuleLimits limits) {
        cap("functions", module.functionSection().functionCount(), limits.maxFunctions());
        int types = module.typeSection().typeCount();
        for (int i = 0; i < module.functionSection().functionCount(); i++) {
            int type = module.functionSection().getFunctionType(i);
            if (type < 0 || type >= types) {
                throw invalid("function " + i + " has type " + type + ", which does not exist");
            }
        }
        cap("types", module.typeSection().typeCount(), limits.maxTypes());
        cap("globals", module.globalSection().globalCount(), limits.maxGlobals());
        cap("exports", module.exportSection().exportCount(), limits.maxExports());
        cap("tables", module.tableSection().tableCount(), limits.maxTables());
        for (int i = 0; i < module.tableSection().tableCount(); i++) {
            var table = module.tableSection().getTable(i).limits();
            cap("table elements", table.min(), limits.maxTableElements());
        }
        var data = module.dataSection();
        cap("data segments", data.dataSegmentCount(), limits.maxDataSegments());
        long dataBytes = 0;
        for (int i = 0; i < data.dataSegmentCount(); i++) {
            dataBytes += data.getDataSegment(i).data().length;
        }
        cap("data bytes", dataBytes, limits.maxDataBytes());
        long instructions = 0;
        long brTableTargets = 0;
        var stack = new OperandStackDepth(module.typeSection(), functionTypes(module));
        for (var body : module.codeSection().functionBodies()) {
            cap("locals per function", body.localTypes().size(), limits.maxLocalsPerFunction());
            instructions += body.instructions().size();
            int depth = 0;
            for (var ins : body.instructions()) {
                switch (ins.opcode()) {
                    case BLOCK, LOOP, IF, TRY_TABLE -> {
                        depth++;
                        cap("block nesting depth", depth, limits.maxNestingDepth());
                    }
                    case END -> depth--;
                    case BR_TABLE -> {
                        // The operands are the targets, then the default.
                        int targets = ins.operandCount() - 1;
                        cap("targets in one br_table", targets, limits.maxBrTableTargets());
                        brTableTargets += targets;
                    }
                    default -> {}
                }
            }
            cap(
                    "values on one function's operand stack",
                    stack.max(body.instructions()),
                    limits.maxOperandStackDepth());
        }
        cap("instructions", instructions, limits.maxInstructions());
        cap("br_table targets", brTableTargets, limits.maxBrTableTargetsTotal());
    }

    private static void cap(String what, long actual, long limit) {
        if (actual > limit) {
            throw invalid("module has " + actual + " " + what + "; the limit is " + limit);
        }
    }

    /**
     * WebAssembly text: after blanks and comments, {@code (module} or {@code (component}. Only for
     * the message of a refusal, so a cheap look at the first bytes is enough.
     */
    static boolean looksLikeWat(byte[] body) {
        String head =
                new String(body, 0, Math.min(body.length, 4096), StandardCharsets.UTF_8)
                        .replaceAll("(?s)\\(;.*?;\\)", " ")
                        .replaceAll("(?m);;.*$", " ")
                        .stripLeading();
        return head.startsWith("(module") || head.startsWith("(component");
    }

    /**
     * A WASI command (it imports {@code wasi_snapshot_preview1}, or exports {@code _start} and not
     * the handler) deployed with the kiln ABI: say which ABI it needs, not which import is wrong.
     */
    private static void refuseWasiCommand(WasmModule module, ModuleRules rules) {
        String wasiImport = null;
        var imports = module.importSection();
        for (int i = 0; i < imports.importCount() && wasiImport == null; i++) {
            Import imp = imports.getImport(i);
            if (imp.module().startsWith("wasi_")) {
                wasiImport = imp.module() + "." + imp.name();
            }
        }
        boolean command =
                findExport(module, WASI_START) != null
                        && findExport(module, rules.handler()) == null;
        if (wasiImport != null || command) {
            throw invalid(
                    "this is a WASI command ("
                            + (wasiImport != null
                                    ? "it imports " + wasiImport
                                    : "it exports _start")
                            + "), which runs with abi wasi-cgi, not kiln: deploy it with"
                            + " {\"abi\": \"wasi-cgi\"} in kiln.json, or kiln deploy --abi"
                            + " wasi-cgi");
        }
    }

    private static void checkImports(WasmModule module) {
        var imports = module.importSection();
        for (int i = 0; i < imports.importCount(); i++) {
            Import imp = imports.getImport(i);
            String where = "import " + imp.module() + "." + imp.name();
            if (!AbiV1.IMPORT_MODULE.equals(imp.module())) {
                throw invalid(
                        where
                                + " is not allowed: kiln-ABI modules may import only from module '"
                                + AbiV1.IMPORT_MODULE
                                + "'");
            }
            if (!(imp instanceof FunctionImport fi)) {
                throw invalid(where + " is not allowed: only functions may be imported");
            }
            HostCall call =
                    HostCall.byImportName(imp.name())
                            .orElseThrow(
                                    () ->
                                            invalid(
                                                    where
                                                            + " is not a kiln ABI v1 host"
                                                            + " function"));
            checkSignature(module, where, fi, call);
        }
    }

    private static void checkSignature(
            WasmModule module, String where, FunctionImport imported, HostCall call) {
        FunctionType actual = module.typeSection().getType(imported.typeIndex());
        if (!actual.equals(toChicory(call.signature()))) {
            throw invalid(
                    where
                            + " has signature "
                            + actual
                            + " but ABI v1 defines "
                            + toChicory(call.signature()));
        }
    }

    private static void checkWasiImports(WasmModule module) {
        var imports = module.importSection();
        for (int i = 0; i < imports.importCount(); i++) {
            Import imp = imports.getImport(i);
            String where = "import " + imp.module() + "." + imp.name();
            if (AbiV1.IMPORT_MODULE.equals(imp.module()) && imp instanceof FunctionImport kfi) {
                // The kiln key-value and outbound HTTP calls are open to wasi-cgi guests too
                // (docs/adr/0039, docs/adr/0040).
                HostCall call =
                        HostCall.byImportName(imp.name())
                                .filter(HostCall::wasiCgiImport)
                                .orElseThrow(
                                        () ->
                                                invalid(
                                                        where
                                                                + " is not allowed: wasi-cgi"
                                                                + " modules may import only the"
                                                                + " kiln kv_* and http_*"
                                                                + " functions"));
                checkSignature(module, where, kfi, call);
                continue;
            }
            if (!WasiFunctions.MODULE.equals(imp.module())) {
                throw invalid(
                        where
                                + " is not allowed: wasi-cgi modules may import only from module '"
                                + WasiFunctions.MODULE
                                + "'");
            }
            if (!(imp instanceof FunctionImport fi)) {
                throw invalid(where + " is not allowed: only functions may be imported");
            }
            FunctionType expected = WasiFunctions.signature(imp.name());
            if (expected == null) {
                throw invalid(
                        where
                                + (WasiFunctions.UNSUPPORTED.contains(imp.name())
                                        ? " is not supported by this host (no sockets, no signals)"
                                        : " is not a WASI preview 1 function"));
            }
            FunctionType actual = module.typeSection().getType(fi.typeIndex());
            if (!actual.equals(expected)) {
                throw invalid(where + " has signature " + actual + " but WASI defines " + expected);
            }
        }
    }

    private static MemoryLimits checkMemory(WasmModule module, ModuleRules rules) {
        var section = module.memorySection();
        if (section.isEmpty() || section.get().memoryCount() == 0) {
            throw invalid("module defines no memory; it must export one as 'memory'");
        }
        if (section.get().memoryCount() > 1) {
            throw invalid("module defines more than one memory");
        }
        MemoryLimits declared = section.get().getMemory(0).limits();
        if (declared.shared()) {
            throw invalid("shared memory is not supported");
        }
        if (declared.initialPages() > rules.maxPages()) {
            throw invalid(
                    "memory minimum of "
                            + declared.initialPages()
                            + " pages ("
                            + (declared.initialPages() / 16)
                            + " MiB) exceeds the function's memoryMiB of "
                            + rules.memoryMiB());
        }
        Export export = findExport(module, AbiV1.EXPORT_MEMORY);
        if (export == null || export.exportType() != ExternalType.MEMORY) {
            throw invalid("module must export its memory as 'memory'");
        }
        int max = Math.min(declared.maximumPages(), rules.maxPages());
        return new MemoryLimits(declared.initialPages(), max);
    }

    private static void requireExport(WasmModule module, String name, FunctionType type) {
        if (!optionalExport(module, name, type)) {
            throw invalid("module must export function '" + name + "' with type " + type);
        }
    }

    private static boolean optionalExport(WasmModule module, String name, FunctionType type) {
        Export export = findExport(module, name);
        if (export == null) {
            return false;
        }
        if (export.exportType() != ExternalType.FUNCTION) {
            throw invalid("export '" + name + "' must be a function");
        }
        FunctionType actual = functionType(module, export.index());
        if (!actual.equals(type)) {
            throw invalid(
                    "export '" + name + "' has type " + actual + " but must have type " + type);
        }
        return true;
    }

    private static Export findExport(WasmModule module, String name) {
        var exports = module.exportSection();
        for (int i = 0; i < exports.exportCount(); i++) {
            if (exports.getExport(i).name().equals(name)) {
                return exports.getExport(i);
            }
        }
        return null;
    }

    /** The type of every function index, imports first; out-of-range indexes fail. */
    private static IntFunction<FunctionType> functionTypes(WasmModule module) {
        var imports = module.importSection();
        int imported = imports.count(ExternalType.FUNCTION);
        int defined = module.functionSection().functionCount();
        FunctionType[] all = new FunctionType[imported + defined];
        int next = 0;
        for (int i = 0; i < imports.importCount(); i++) { // one pass: imports are not capped
            if (imports.getImport(i) instanceof FunctionImport fi) {
                all[next++] = module.typeSection().getType(fi.typeIndex());
            }
        }
        for (int i = 0; i < defined; i++) {
            all[imported + i] = module.functionSection().getFunctionType(i, module.typeSection());
        }
        return i -> all[i];
    }

    private static FunctionType functionType(WasmModule module, int funcIndex) {
        int imported = module.importSection().count(ExternalType.FUNCTION);
        if (funcIndex < imported) {
            int seen = 0;
            var imports = module.importSection();
            for (int i = 0; i < imports.importCount(); i++) {
                if (imports.getImport(i) instanceof FunctionImport fi && seen++ == funcIndex) {
                    return module.typeSection().getType(fi.typeIndex());
                }
            }
        }
        return module.functionSection().getFunctionType(funcIndex - imported, module.typeSection());
    }

    static FunctionType toChicory(Signature signature) {
        return FunctionType.of(
                signature.params().stream().map(ModuleValidator::toChicory).toList(),
                signature.results().stream().map(ModuleValidator::toChicory).toList());
    }

    private static ValType toChicory(ValueKind kind) {
        return switch (kind) {
            case I32 -> ValType.I32;
            case I64 -> ValType.I64;
        };
    }

    /** Chicory's parse messages describe the module, not the host; still, bound their length. */
    private static String safeMessage(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }

    private static KilnException invalid(String message) {
        return new KilnException(ErrorCode.INVALID_MODULE, message);
    }
}
