package dev.kiln.host.testing;

import java.io.ByteArrayOutputStream;

/**
 * Valid kiln-ABI modules that are slow to check: many ordinary functions, within every module
 * limit. On Chicory 1.7.5, 3,000 functions of 100 additions (2 MB) take about 1 s to validate and 2
 * s to compile on a quiet 2-core machine; a single {@code br_table} of 50,000 targets takes 7 s,
 * but such tables are bounded at validation.
 */
public final class SlowModules {
    private SlowModules() {}

    /**
     * A module exporting {@code memory}, {@code kiln_alloc} and {@code kiln_handle} (returning an
     * empty result) plus {@code functions} unexported functions of {@code ops} additions each.
     * Written as binary: wat2wasm takes longer than the compile on text this large.
     */
    public static byte[] manyFunctions(int functions, int ops) {
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        m.writeBytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
        // types: 0 = (i32) -> i32, 1 = (i32, i32) -> i64
        section(m, 1, bytes(2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 1, 0x7e));
        ByteArrayOutputStream funcs = new ByteArrayOutputStream();
        leb(funcs, 2 + functions);
        funcs.write(0);
        funcs.write(1);
        for (int i = 0; i < functions; i++) {
            funcs.write(0);
        }
        section(m, 3, funcs.toByteArray());
        section(m, 5, bytes(1, 0, 1)); // one memory, min 1 page
        ByteArrayOutputStream exports = new ByteArrayOutputStream();
        leb(exports, 3);
        export(exports, "memory", 2, 0);
        export(exports, "kiln_alloc", 0, 0);
        export(exports, "kiln_handle", 0, 1);
        section(m, 7, exports.toByteArray());
        ByteArrayOutputStream code = new ByteArrayOutputStream();
        leb(code, 2 + functions);
        body(code, bytes(0, 0x41, 0x80, 0x08, 0x0b)); // kiln_alloc: i32.const 1024
        body(code, bytes(0, 0x42, 0, 0x0b)); // kiln_handle: i64.const 0
        ByteArrayOutputStream filler = new ByteArrayOutputStream();
        filler.write(0); // no locals
        for (int i = 0; i < ops; i++) {
            // local.set 0 (i32.add (local.get 0) (i32.const 1))
            filler.writeBytes(bytes(0x20, 0, 0x41, 1, 0x6a, 0x21, 0));
        }
        filler.writeBytes(bytes(0x20, 0, 0x0b));
        byte[] f = filler.toByteArray();
        for (int i = 0; i < functions; i++) {
            body(code, f);
        }
        section(m, 10, code.toByteArray());
        return m.toByteArray();
    }

    private static void export(ByteArrayOutputStream out, String name, int kind, int index) {
        leb(out, name.length());
        out.writeBytes(name.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.write(kind);
        leb(out, index);
    }

    private static void body(ByteArrayOutputStream out, byte[] body) {
        leb(out, body.length);
        out.writeBytes(body);
    }

    private static void section(ByteArrayOutputStream out, int id, byte[] body) {
        out.write(id);
        leb(out, body.length);
        out.writeBytes(body);
    }

    private static void leb(ByteArrayOutputStream out, long v) {
        do {
            int b = (int) (v & 0x7f);
            v >>>= 7;
            if (v != 0) {
                b |= 0x80;
            }
            out.write(b);
        } while (v != 0);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }
}
