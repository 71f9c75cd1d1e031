package dev.kiln.host.sandbox;

import com.dylibso.chicory.log.Logger;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code wasi_snapshot_preview1} functions a wasi-cgi module may import: those Chicory
 * implements, with their signatures. Chicory declares a few more that only throw; importing those
 * is refused at upload rather than failing at run time.
 */
final class WasiFunctions {
    static final String MODULE = "wasi_snapshot_preview1";

    /** Declared by Chicory but unconditionally throwing "not supported". */
    static final Set<String> UNSUPPORTED =
            Set.of(
                    "adapter_close_badfd",
                    "adapter_open_badfd",
                    "proc_raise",
                    "sock_accept",
                    "sock_recv",
                    "sock_send");

    /** Chicory logs every WASI call at trace level; the host has no use for it. */
    static final Logger SILENT =
            new Logger() {
                @Override
                public void log(Level level, String msg, Throwable throwable) {}

                @Override
                public boolean isLoggable(Level level) {
                    return false;
                }
            };

    private static final Map<String, FunctionType> SUPPORTED = supported();

    private WasiFunctions() {}

    /** The signature of an importable WASI function, or null if it may not be imported. */
    static FunctionType signature(String name) {
        return SUPPORTED.get(name);
    }

    /** Names of every importable WASI function, sorted. */
    static Set<String> names() {
        return SUPPORTED.keySet();
    }

    private static Map<String, FunctionType> supported() {
        Map<String, FunctionType> out = new TreeMap<>();
        try (WasiPreview1 wasi =
                WasiPreview1.builder()
                        .withLogger(SILENT)
                        .withOptions(WasiOptions.builder().build())
                        .build()) {
            for (HostFunction f : wasi.toHostFunctions()) {
                if (!UNSUPPORTED.contains(f.name())) {
                    out.put(f.name(), f.functionType());
                }
            }
        }
        return Collections.unmodifiableMap(out);
    }
}
