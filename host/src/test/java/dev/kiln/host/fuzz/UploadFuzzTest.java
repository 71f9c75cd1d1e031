package dev.kiln.host.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.deploy.Upload;
import dev.kiln.host.deploy.UploadReader;
import dev.kiln.host.fuel.FuelInjector;
import dev.kiln.host.sandbox.Abi;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ModuleRules;
import dev.kiln.host.sandbox.ModuleValidator;
import org.junit.jupiter.api.Tag;

/**
 * Coverage-guided fuzzing of everything an upload's bytes pass through before anything runs:
 * unpacking (wasm or zip with kiln.json), validation under both ABIs, and fuel instrumentation.
 *
 * <p>The only acceptable refusal is a {@link KilnException} (it becomes a 4xx with a stable code);
 * any other exception or error is a finding. Every module Chicory accepts must still be accepted
 * after {@link FuelInjector} rewrote it, with the same functions and exports.
 *
 * <p>{@code ./test} fuzzes for a bounded time ({@code JAZZER_FUZZ=1} in the {@code fuzz} surefire
 * execution); a plain run replays the seeds under {@code UploadFuzzTestInputs/} and any findings
 * saved there.
 */
@Tag("slow") // coverage-guided fuzzing
class UploadFuzzTest {
    private static final UploadReader UPLOADS = new UploadReader(8 * 1024 * 1024);
    private static final ModuleRules KILN =
            new ModuleRules("kiln_handle", 64, ModuleLimits.DEFAULTS);
    private static final ModuleRules WASI =
            new ModuleRules("kiln_handle", 64, ModuleLimits.DEFAULTS, Abi.WASI_CGI);

    @FuzzTest(maxDuration = "60s")
    void uploadBytesAreRefusedCleanlyOrMeteredFaithfully(byte[] body) {
        Upload upload;
        try {
            upload = UPLOADS.read(null, body);
        } catch (KilnException e) {
            return;
        }
        validates(upload.wasm(), KILN);
        validates(upload.wasm(), WASI);
        meteringKeepsTheModuleValid(upload.wasm());
    }

    private static void validates(byte[] wasm, ModuleRules rules) {
        try {
            ModuleValidator.validate(wasm, rules);
        } catch (KilnException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    /** The injector's contract holds for any module Chicory accepts, not only kiln ones. */
    private static void meteringKeepsTheModuleValid(byte[] wasm) {
        WasmModule original;
        try {
            original = Parser.parse(wasm);
        } catch (RuntimeException | StackOverflowError | AssertionError | OutOfMemoryError e) {
            return; // ModuleValidator turns every parser failure into invalid_module (checked
            // above)
        }
        if (!typesResolve(original)) {
            return; // Chicory's parser lets this through; ModuleValidator refuses it (above)
        }
        FuelInjector.Instrumented metered = FuelInjector.inject(wasm, original);
        WasmModule rewritten = Parser.parse(metered.wasm());
        assertThat(rewritten.functionSection().functionCount())
                .isEqualTo(original.functionSection().functionCount());
        assertThat(rewritten.exportSection().exportCount())
                .isEqualTo(original.exportSection().exportCount());
        assertThat(metered.fuelGlobal())
                .isEqualTo(rewritten.globalSection().globalCount() - 1 + importedGlobals(original));
    }

    private static boolean typesResolve(WasmModule module) {
        for (int i = 0; i < module.functionSection().functionCount(); i++) {
            int type = module.functionSection().getFunctionType(i);
            if (type < 0 || type >= module.typeSection().typeCount()) {
                return false;
            }
        }
        return true;
    }

    private static int importedGlobals(WasmModule module) {
        return module.importSection().count(ExternalType.GLOBAL);
    }
}
