package dev.kiln.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * Writes the Wasm binary a {@code module.gen.json} describes: a valid echo module (memory, {@code
 * kiln_alloc}, {@code kiln_handle}) plus as many declarations as asked for, so that compile bombs
 * of 100k functions or megabytes of data stay a few bytes of JSON in the repository.
 *
 * <p>Fields (each a number or a {@code $limit±N} quantity; all default to 0): {@code functions},
 * {@code types}, {@code globals}, {@code exports} (extra names for {@code kiln_alloc}), {@code
 * tables} with {@code tableMin} elements each, {@code memoryMin} (pages, default 1) and {@code
 * memoryMax}, {@code locals} (of {@code kiln_handle}), {@code nesting} (empty blocks before its
 * body), {@code dataSegments} (one byte each), {@code dataBytes} (one segment), {@code handleBody}
 * (hex of the body's instructions, replacing the echo; the final {@code end} is added), {@code
 * padTo} (a custom section makes the module exactly this many bytes), {@code brTableTargets} (a
 * {@code br_table} with this many targets in {@code kiln_handle}), {@code brTableTargetsTotal}
 * (that many targets in all, in {@code br_table}s of {@code brTableTargets} each), {@code
 * stackDepth} (i64 constants pushed that deep, then dropped).
 */
final class ModuleGenerator {
    private static final Set<String> FIELDS =
            Set.of(
                    "comment",
                    "functions",
                    "types",
                    "globals",
                    "exports",
                    "tables",
                    "tableMin",
                    "memoryMin",
                    "memoryMax",
                    "locals",
                    "nesting",
                    "nops",
                    "dataSegments",
                    "dataBytes",
                    "handleBody",
                    "padTo",
                    "brTableTargets",
                    "brTableTargetsTotal",
                    "stackDepth");

    /** {@code kiln_handle} as an echo: {@code (ptr << 32) | len}. */
    private static final byte[] ECHO = HexFormat.of().parseHex("2000ad422086" + "2001ad84");

    private ModuleGenerator() {}

    static void checkFields(JsonNode spec) {
        for (Iterator<String> it = spec.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new IllegalArgumentException("module.gen.json: unknown field '" + f + "'");
            }
        }
    }

    static byte[] generate(JsonNode spec, ToLongFunction<JsonNode> quantity) {
        checkFields(spec);
        int functions = count(spec, "functions", quantity);
        int types = count(spec, "types", quantity);
        int globals = count(spec, "globals", quantity);
        int exports = count(spec, "exports", quantity);
        int tables = count(spec, "tables", quantity);
        long tableMin = quantity.applyAsLong(spec.path("tableMin"));
        long memoryMin = spec.has("memoryMin") ? quantity.applyAsLong(spec.get("memoryMin")) : 1;
        int locals = count(spec, "locals", quantity);
        int nesting = count(spec, "nesting", quantity);
        int nops = count(spec, "nops", quantity);
        int dataSegments = count(spec, "dataSegments", quantity);
        int dataBytes = count(spec, "dataBytes", quantity);
        int brTableTargets = count(spec, "brTableTargets", quantity);
        int brTableTargetsTotal =
                spec.has("brTableTargetsTotal")
                        ? count(spec, "brTableTargetsTotal", quantity)
                        : brTableTargets;
        int stackDepth = count(spec, "stackDepth", quantity);

        Out module = new Out();
        module.bytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});

        Out type = new Out();
        type.u32(3 + types);
        type.bytes(HexFormat.of().parseHex("60017f017f")); // 0: (i32) -> i32
        type.bytes(HexFormat.of().parseHex("60027f7f017e")); // 1: (i32 i32) -> i64
        for (int i = 0; i <= types; i++) {
            type.bytes(HexFormat.of().parseHex("6000" + "00")); // 2..: () -> ()
        }
        module.section(1, type);

        Out func = new Out();
        func.u32(2 + functions);
        func.u32(0);
        func.u32(1);
        for (int i = 0; i < functions; i++) {
            func.u32(2);
        }
        module.section(3, func);

        if (tables > 0) {
            Out table = new Out();
            table.u32(tables);
            for (int i = 0; i < tables; i++) {
                table.bytes(new byte[] {0x70, 0x00});
                table.u32(tableMin);
            }
            module.section(4, table);
        }

        Out memory = new Out();
        memory.u32(1);
        if (spec.has("memoryMax")) {
            memory.u32(1);
            memory.u32(memoryMin);
            memory.u32(quantity.applyAsLong(spec.get("memoryMax")));
        } else {
            memory.u32(0);
            memory.u32(memoryMin);
        }
        module.section(5, memory);

        if (globals > 0) {
            Out global = new Out();
            global.u32(globals);
            for (int i = 0; i < globals; i++) {
                global.bytes(HexFormat.of().parseHex("7f0041000b")); // i32 const 0
            }
            module.section(6, global);
        }

        Out export = new Out();
        export.u32(3 + exports);
        export.name("memory").bytes(new byte[] {2, 0});
        export.name("kiln_alloc").bytes(new byte[] {0, 0});
        export.name("kiln_handle").bytes(new byte[] {0, 1});
        for (int i = 0; i < exports; i++) {
            export.name("x" + i).bytes(new byte[] {0, 0});
        }
        module.section(7, export);

        Out code = new Out();
        code.u32(2 + functions);
        code.body(HexFormat.of().parseHex("0041800b0b")); // kiln_alloc: i32.const 1408
        Out handle = new Out();
        if (locals > 0) {
            handle.u32(1).u32(locals).bytes(new byte[] {0x7f});
        } else {
            handle.u32(0);
        }
        // Empty blocks nested `nesting` deep, then nops, then the body (by default the echo).
        for (int i = 0; i < nesting; i++) {
            handle.bytes(new byte[] {0x02, 0x40}); // block (empty type)
        }
        for (int i = 0; i < nesting; i++) {
            handle.bytes(new byte[] {0x0b});
        }
        // br_tables on the first argument, all targets to their own block: a compile bomb.
        for (int left = brTableTargetsTotal; left > 0; ) {
            int targets = Math.min(left, Math.max(brTableTargets, 1));
            handle.bytes(new byte[] {0x02, 0x40, 0x20, 0x00, 0x0e}).u32(targets);
            handle.bytes(new byte[targets + 1]); // every target and the default: label 0
            handle.bytes(new byte[] {0x0b});
            left -= targets;
        }
        for (int i = 0; i < stackDepth; i++) {
            handle.bytes(new byte[] {0x42, 0x01}); // i64.const 1
        }
        byte[] drops = new byte[stackDepth];
        java.util.Arrays.fill(drops, (byte) 0x1a);
        handle.bytes(drops);
        byte[] nop = new byte[nops];
        java.util.Arrays.fill(nop, (byte) 0x01);
        handle.bytes(nop);
        handle.bytes(
                spec.has("handleBody")
                        ? HexFormat.of()
                                .parseHex(spec.get("handleBody").asText().replaceAll("\\s+", ""))
                        : ECHO);
        handle.bytes(new byte[] {0x0b});
        code.body(handle.toByteArray());
        for (int i = 0; i < functions; i++) {
            code.body(new byte[] {0x00, 0x0b});
        }
        module.section(10, code);

        if (dataSegments > 0 || dataBytes > 0) {
            Out data = new Out();
            data.u32(dataSegments + (dataBytes > 0 ? 1 : 0));
            for (int i = 0; i < dataSegments; i++) {
                data.bytes(HexFormat.of().parseHex("0041000b01" + "2a"));
            }
            if (dataBytes > 0) {
                data.bytes(HexFormat.of().parseHex("0041000b"));
                data.u32(dataBytes);
                data.bytes(new byte[dataBytes]);
            }
            module.section(11, data);
        }

        if (spec.has("padTo")) {
            pad(module, quantity.applyAsLong(spec.get("padTo")));
        }
        return module.toByteArray();
    }

    /** Appends a custom section named "pad" so the module has exactly {@code total} bytes. */
    private static void pad(Out module, long total) {
        long room = total - module.size();
        // id (1) + size (LEB) + name length (1) + "pad" (3) + filler: find the filler length.
        for (int lebLen = 1; lebLen <= 5; lebLen++) {
            long filler = room - 1 - lebLen - 4;
            if (filler >= 0 && Out.lebLength(filler + 4) == lebLen) {
                Out custom = new Out();
                custom.name("pad");
                custom.bytes(new byte[(int) filler]);
                module.section(0, custom);
                return;
            }
        }
        throw new IllegalArgumentException(
                "padTo " + total + " is smaller than the module (" + module.size() + " bytes)");
    }

    private static int count(JsonNode spec, String field, ToLongFunction<JsonNode> quantity) {
        long n = quantity.applyAsLong(spec.path(field));
        if (n < 0 || n > 100_000_000) {
            throw new IllegalArgumentException("module.gen.json: " + field + " = " + n);
        }
        return (int) n;
    }

    /** A byte buffer with the Wasm binary encodings the generator needs. */
    private static final class Out extends ByteArrayOutputStream {
        Out u32(long v) {
            do {
                int b = (int) (v & 0x7f);
                v >>>= 7;
                write(v != 0 ? b | 0x80 : b);
            } while (v != 0);
            return this;
        }

        Out bytes(byte[] b) {
            writeBytes(b);
            return this;
        }

        Out name(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u32(b.length).bytes(b);
        }

        void body(byte[] b) {
            u32(b.length).bytes(b);
        }

        void section(int id, Out content) {
            write(id);
            u32(content.size());
            writeBytes(content.toByteArray());
        }

        static int lebLength(long v) {
            int n = 1;
            while ((v >>>= 7) != 0) {
                n++;
            }
            return n;
        }
    }
}
