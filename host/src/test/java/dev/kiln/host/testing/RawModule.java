package dev.kiln.host.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Assembles kiln-ABI modules byte by byte, for features the pure-Java wat2wasm cannot write (GC
 * types, try_table, typed references, tail calls, memory64). The module has types 0: (i32) -> i32,
 * 1: (i32 i32) -> i64, 2: () -> (), then those added with {@link #type}; functions 0: kiln_alloc,
 * 1: kiln_handle (an echo unless replaced), then those added with {@link #function}; one memory of
 * one page (or {@link #memory}), exported as "memory".
 */
public final class RawModule {
    private static final HexFormat HEX = HexFormat.of();
    private static final String ECHO = "2000ad4220862001ad84";

    private final List<byte[]> types = new ArrayList<>();
    private final List<Integer> functionTypes = new ArrayList<>();
    private final List<byte[]> bodies = new ArrayList<>();
    private final List<Integer> tags = new ArrayList<>();
    private final List<byte[]> globals = new ArrayList<>();
    private final List<Integer> declaredFunctions = new ArrayList<>();
    private String memory = "0001";
    private byte[] handle = body("", ECHO);

    public static RawModule kiln() {
        return new RawModule();
    }

    /** Adds a type-section entry (hex), e.g. {@code "5e7f01"} for (array (mut i32)). */
    public RawModule type(String hex) {
        types.add(parse(hex));
        return this;
    }

    /**
     * Replaces kiln_handle's body: {@code locals} is the hex of the local declarations without
     * their count ({@code "017f"} is one i32), {@code code} the instructions without the final end.
     */
    public RawModule handle(String locals, String code) {
        handle = body(locals, code);
        return this;
    }

    /** Adds a function of type {@code typeIndex}; its index is 2 + the functions added before. */
    public RawModule function(int typeIndex, String locals, String code) {
        functionTypes.add(typeIndex);
        bodies.add(body(locals, code));
        return this;
    }

    /** Adds an exception tag of type {@code typeIndex}. */
    public RawModule tag(int typeIndex) {
        tags.add(typeIndex);
        return this;
    }

    /** Adds a global (hex of its type, mutability and init expression with its end). */
    public RawModule global(String hex) {
        globals.add(parse(hex));
        return this;
    }

    /** Declares a function for {@code ref.func} (a declarative element segment). */
    public RawModule declare(int functionIndex) {
        declaredFunctions.add(functionIndex);
        return this;
    }

    /** Replaces the memory's limits (hex: flags, then sizes). */
    public RawModule memory(String limitsHex) {
        memory = limitsHex;
        return this;
    }

    public byte[] bytes() {
        Out module = new Out();
        module.raw(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
        Out type = new Out().u32(3 + types.size());
        type.raw(parse("60017f017f")).raw(parse("60027f7f017e")).raw(parse("600000"));
        types.forEach(type::raw);
        module.section(1, type);
        Out func = new Out().u32(2 + functionTypes.size()).u32(0).u32(1);
        functionTypes.forEach(func::u32);
        module.section(3, func);
        Out mem = new Out().u32(1).raw(parse(memory));
        module.section(5, mem);
        if (!tags.isEmpty()) {
            Out tag = new Out().u32(tags.size());
            tags.forEach(t -> tag.u32(0).u32(t));
            module.section(13, tag);
        }
        if (!globals.isEmpty()) {
            Out global = new Out().u32(globals.size());
            globals.forEach(global::raw);
            module.section(6, global);
        }
        Out export = new Out().u32(3);
        export.name("memory").raw(new byte[] {2, 0});
        export.name("kiln_alloc").raw(new byte[] {0, 0});
        export.name("kiln_handle").raw(new byte[] {0, 1});
        module.section(7, export);
        if (!declaredFunctions.isEmpty()) {
            Out elem = new Out().u32(1).u32(3).u32(0).u32(declaredFunctions.size());
            declaredFunctions.forEach(elem::u32);
            module.section(9, elem);
        }
        Out code = new Out().u32(2 + bodies.size());
        code.raw(body("", "41800b")); // kiln_alloc: i32.const 1408
        code.raw(handle);
        bodies.forEach(code::raw);
        module.section(10, code);
        return module.toByteArray();
    }

    private static byte[] body(String locals, String code) {
        Out body = new Out();
        byte[] l = parse(locals);
        if (l.length == 0) {
            body.u32(0);
        } else {
            body.u32(1).raw(l); // one group of locals
        }
        body.raw(parse(code)).raw(new byte[] {0x0b});
        return new Out().u32(body.size()).raw(body.toByteArray()).toByteArray();
    }

    private static byte[] parse(String hex) {
        return HEX.parseHex(hex.replaceAll("\\s+", ""));
    }

    private static final class Out extends ByteArrayOutputStream {
        Out u32(long v) {
            do {
                int b = (int) (v & 0x7f);
                v >>>= 7;
                write(v != 0 ? b | 0x80 : b);
            } while (v != 0);
            return this;
        }

        Out raw(byte[] b) {
            writeBytes(b);
            return this;
        }

        Out name(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u32(b.length).raw(b);
        }

        void section(int id, Out content) {
            write(id);
            u32(content.size());
            writeBytes(content.toByteArray());
        }
    }
}
