package dev.kiln.host.sandbox;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionImport;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A pooled wasi-cgi instance's function imports: fixed stand-ins, made once with the instance, that
 * forward each call to the functions bound for the invocation running now. A command's WASI state
 * (stdin, stdout, environment, preopens) belongs to one request, but an instance's imports are
 * fixed when it is built; this is what lets one instance serve request after request.
 */
final class CommandImports {
    private final String[] modules;
    private final String[] names;
    private final HostFunction[] bound;

    private CommandImports(String[] modules, String[] names) {
        this.modules = modules;
        this.names = names;
        this.bound = new HostFunction[names.length];
    }

    /** Stand-ins for every function {@code module} imports, each with its declared type. */
    static CommandImports of(WasmModule module) {
        List<String> mods = new ArrayList<>();
        List<String> fns = new ArrayList<>();
        var imports = module.importSection();
        for (int i = 0; i < imports.importCount(); i++) {
            if (imports.getImport(i) instanceof FunctionImport f) {
                mods.add(f.module());
                fns.add(f.name());
            }
        }
        return new CommandImports(mods.toArray(String[]::new), fns.toArray(String[]::new));
    }

    /** The import values to build the instance with: one forwarding function per import. */
    ImportValues importValues(WasmModule module) {
        List<ImportFunction> out = new ArrayList<>();
        var imports = module.importSection();
        int k = 0;
        for (int i = 0; i < imports.importCount(); i++) {
            if (imports.getImport(i) instanceof FunctionImport f) {
                int slot = k++;
                out.add(
                        new HostFunction(
                                f.module(),
                                f.name(),
                                module.typeSection().getType(f.typeIndex()),
                                (instance, args) -> {
                                    HostFunction target = bound[slot];
                                    if (target == null) {
                                        // Only guest code run outside an invocation gets here;
                                        // pooled commands have no start function.
                                        throw new IllegalStateException(
                                                "host function "
                                                        + names[slot]
                                                        + " called outside an invocation");
                                    }
                                    return target.handle().apply(instance, args);
                                }));
            }
        }
        return ImportValues.builder().withFunctions(out).build();
    }

    /**
     * Binds this invocation's functions, by import module and name; each import must find one
     * (upload allows only imports the host provides).
     */
    void bind(HostFunction[] functions) {
        for (int i = 0; i < names.length; i++) {
            bound[i] = find(functions, modules[i], names[i]);
        }
    }

    /** Drops the invocation's functions, so nothing of its state stays reachable. */
    void unbind() {
        Arrays.fill(bound, null);
    }

    private static HostFunction find(HostFunction[] functions, String module, String name) {
        for (HostFunction f : functions) {
            if (f.name().equals(name) && f.module().equals(module)) {
                return f;
            }
        }
        throw new IllegalStateException("no host function for import " + module + "." + name);
    }
}
