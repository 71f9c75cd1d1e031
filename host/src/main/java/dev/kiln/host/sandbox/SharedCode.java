package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import java.util.function.Function;

/**
 * One compilation of a module's code, shared by every module with the same {@link CodeKey}: the
 * generated classes and the parse tree of the fuel-metered module, which each module combines with
 * its own data segments.
 *
 * @param factory the generated classes' machine factory (no check of the instance's module, so one
 *     factory serves instances of every module that shares it)
 * @param template the fuel-metered module this code was compiled from
 * @param fuel where the code keeps an instance's fuel
 */
record SharedCode(Function<Instance, Machine> factory, WasmModule template, FuelHome fuel) {

    /**
     * The metered module of another module with the same code: every section of {@link #template}
     * but the data, which is {@code original}'s (metering never changes data).
     */
    WasmModule withDataOf(WasmModule original, String sha256) {
        WasmModule.Builder b =
                WasmModule.builder()
                        .withValidation(false)
                        .withDigest("sha-256-kiln:" + sha256)
                        .setTypeSection(template.typeSection())
                        .setImportSection(template.importSection())
                        .setFunctionSection(template.functionSection())
                        .setTableSection(template.tableSection())
                        .setGlobalSection(template.globalSection())
                        .setExportSection(template.exportSection())
                        .setElementSection(template.elementSection())
                        .setCodeSection(template.codeSection())
                        .setDataSection(original.dataSection());
        template.memorySection().ifPresent(b::setMemorySection);
        template.startSection().ifPresent(b::setStartSection);
        template.dataCountSection().ifPresent(b::setDataCountSection);
        template.tagSection().ifPresent(b::setTagSection);
        template.customSections().forEach(c -> b.addCustomSection(c.name(), c));
        template.ignoredSections().forEach(b::addIgnoredSection);
        return b.build();
    }
}
