package dev.kiln.host.fuel;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import java.io.ByteArrayOutputStream;
import java.util.Map;

/**
 * Rewrites a module so that it meters its own CPU use: a mutable i64 global holds the fuel left;
 * every straight-line segment of code subtracts its cost (per {@link FuelCosts}) when it starts,
 * and function entries, loop headers and bulk operations trap with {@code unreachable} once the
 * fuel is below zero. No loop or recursion can run without passing a check.
 *
 * <p>Only bytes are inserted: function, global, type and table indices of the original module stay
 * valid, so the instrumented module computes exactly what the original does.
 */
public final class FuelInjector {
    /** Fuel the module starts with, for its start function and {@code kiln_init}. */
    public static final long INIT_FUEL = 10_000_000_000L;

    /**
     * A function that keeps its fuel in a local writes it back to the global at a loop header at
     * least once per this many units: the precision of the fuel a timed-out invocation reports
     * (docs/adr/0027).
     */
    public static final long WRITE_BACK_INTERVAL = 1L << 16;

    private static final int SECTION_GLOBAL = 6;
    private static final int SECTION_CODE = 10;
    // Canonical order of known sections (custom = 0 may appear anywhere).
    private static final Map<Integer, Integer> ORDER =
            Map.ofEntries(
                    Map.entry(1, 1),
                    Map.entry(2, 2),
                    Map.entry(3, 3),
                    Map.entry(4, 4),
                    Map.entry(5, 5),
                    Map.entry(13, 6),
                    Map.entry(6, 7),
                    Map.entry(7, 8),
                    Map.entry(8, 9),
                    Map.entry(9, 10),
                    Map.entry(12, 11),
                    Map.entry(10, 12),
                    Map.entry(11, 13));

    private FuelInjector() {}

    /** The rewritten module and the index of its fuel global. */
    public record Instrumented(byte[] wasm, int fuelGlobal) {}

    /**
     * Rewrites {@code wasm} so it meters its own fuel.
     *
     * @param wasm a module that already passed validation
     */
    public static Instrumented inject(byte[] wasm) {
        return inject(wasm, Parser.parse(wasm));
    }

    /**
     * Rewrites {@code wasm}, already parsed, so it meters its own fuel.
     *
     * @param wasm a module that already passed validation
     * @param module {@code wasm} as Chicory parsed it, so the caller's parse is not repeated
     */
    public static Instrumented inject(byte[] wasm, WasmModule module) {
        int fuelGlobal =
                module.importSection().count(ExternalType.GLOBAL)
                        + module.globalSection().globalCount();
        ByteArrayOutputStream out = new ByteArrayOutputStream(wasm.length + wasm.length / 4);
        out.write(wasm, 0, 8);
        int[] pos = {8};
        boolean globalWritten = false;
        while (pos[0] < wasm.length) {
            int id = wasm[pos[0]++] & 0xff;
            int size = (int) Leb128.readUnsigned(wasm, pos);
            int start = pos[0];
            int end = start + size;
            if (!globalWritten
                    && id != 0
                    && ORDER.getOrDefault(id, 0) > ORDER.get(SECTION_GLOBAL)) {
                section(out, SECTION_GLOBAL, globals(wasm, -1, -1));
                globalWritten = true;
            }
            switch (id) {
                case SECTION_GLOBAL -> {
                    section(out, id, globals(wasm, start, end));
                    globalWritten = true;
                }
                case SECTION_CODE -> section(out, id, code(wasm, start, end, module, fuelGlobal));
                default -> {
                    out.write(id);
                    Leb128.writeUnsigned(out, size);
                    out.write(wasm, start, size);
                }
            }
            pos[0] = end;
        }
        if (!globalWritten) {
            section(out, SECTION_GLOBAL, globals(wasm, -1, -1));
        }
        return new Instrumented(out.toByteArray(), fuelGlobal);
    }

    private static void section(ByteArrayOutputStream out, int id, byte[] content) {
        out.write(id);
        Leb128.writeUnsigned(out, content.length);
        out.writeBytes(content);
    }

    /** The global section with the fuel global appended ({@code start < 0}: none before). */
    private static byte[] globals(byte[] wasm, int start, int end) {
        ByteArrayOutputStream g = new ByteArrayOutputStream();
        long count = 0;
        int[] pos = {start};
        if (start >= 0) {
            count = Leb128.readUnsigned(wasm, pos);
        }
        Leb128.writeUnsigned(g, count + 1);
        if (start >= 0) {
            g.write(wasm, pos[0], end - pos[0]);
        }
        g.write(0x7e); // i64
        g.write(0x01); // mutable
        g.write(0x42); // i64.const
        Leb128.writeSigned(g, INIT_FUEL);
        g.write(0x0b); // end
        return g.toByteArray();
    }

    private static byte[] code(byte[] wasm, int start, int end, WasmModule module, int fuelGlobal) {
        ByteArrayOutputStream c = new ByteArrayOutputStream(end - start + (end - start) / 4);
        int[] pos = {start};
        long count = Leb128.readUnsigned(wasm, pos);
        Leb128.writeUnsigned(c, count);
        for (int f = 0; f < count; f++) {
            int bodySize = (int) Leb128.readUnsigned(wasm, pos);
            int bodyStart = pos[0];
            int bodyEnd = bodyStart + bodySize;
            FunctionBody body = module.codeSection().getFunctionBody(f);
            int params =
                    module.functionSection()
                            .getFunctionType(f, module.typeSection())
                            .params()
                            .size();
            byte[] rewritten =
                    new BodyRewriter(wasm, bodyStart, bodyEnd, body, params, fuelGlobal).rewrite();
            Leb128.writeUnsigned(c, rewritten.length);
            c.writeBytes(rewritten);
            pos[0] = bodyEnd;
        }
        if (pos[0] != end) {
            throw new IllegalArgumentException("code section does not match its declared size");
        }
        return c.toByteArray();
    }
}
