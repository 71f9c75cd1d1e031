package dev.kiln.host.fuel;

import com.dylibso.chicory.wasm.types.OpCode;

/**
 * The fuel cost table (documented in README.md): the same module and input always consume the same
 * fuel.
 *
 * <ul>
 *   <li>{@code nop}, {@code drop}, {@code block}, {@code loop}, {@code unreachable}, {@code
 *       return}, {@code else}, {@code end}: 0 — wasmtime's default table: they mark structure and
 *       compile to no work (or end the invocation), and a segment of only these needs no charge
 *   <li>every other instruction: 1
 *   <li>{@code memory.fill}, {@code memory.copy}, {@code memory.init}: 1 + 1 per {@link
 *       #BYTES_PER_UNIT} bytes
 *   <li>{@code table.fill}, {@code table.copy}, {@code table.init}, {@code table.grow}: 1 + 1 per
 *       element
 *   <li>{@code memory.grow}: 1 + {@link #PER_PAGE} per page asked for
 * </ul>
 */
public final class FuelCosts {
    private FuelCosts() {}

    /** Fuel one execution of {@code op} costs, before any size-proportional charge. */
    public static int of(OpCode op) {
        return switch (op) {
            case NOP, DROP, BLOCK, LOOP, UNREACHABLE, RETURN, ELSE, END -> 0;
            default -> 1;
        };
    }

    /** Bulk memory operations pay one unit per this many bytes (log2 = 3: per 8 bytes). */
    public static final int BYTES_PER_UNIT_SHIFT = 3;

    public static final int BYTES_PER_UNIT = 1 << BYTES_PER_UNIT_SHIFT;

    /** Growing memory pays this per 64 KiB page: about what zeroing the page costs. */
    public static final long PER_PAGE = 8192;
}
