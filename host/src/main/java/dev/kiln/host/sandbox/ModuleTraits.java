package dev.kiln.host.sandbox;

import com.dylibso.chicory.wasm.WasmModule;

/**
 * What a module's code can do to state beyond memory and globals, so a snapshot holds (and a reset
 * restores) only what can change.
 *
 * @param changesTables the code uses table.set/grow/fill/copy/init
 * @param dropsElements the code uses elem.drop
 * @param dropsData the code uses data.drop
 * @param hasStart the module has a start function, which every new instance must run
 */
record ModuleTraits(
        boolean changesTables, boolean dropsElements, boolean dropsData, boolean hasStart) {

    static ModuleTraits of(WasmModule module) {
        boolean tables = false;
        boolean elements = false;
        boolean data = false;
        for (var body : module.codeSection().functionBodies()) {
            for (var ins : body.instructions()) {
                switch (ins.opcode()) {
                    case TABLE_SET, TABLE_GROW, TABLE_FILL, TABLE_COPY, TABLE_INIT -> tables = true;
                    case ELEM_DROP -> elements = true;
                    case DATA_DROP -> data = true;
                    default -> {}
                }
            }
        }
        return new ModuleTraits(tables, elements, data, module.startSection().isPresent());
    }
}
