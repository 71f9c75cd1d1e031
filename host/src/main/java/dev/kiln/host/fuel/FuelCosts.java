package dev.kiln.host.fuel;

/**
 * The fuel cost table (documented in README.md): the same module and input always consume the same
 * fuel.
 *
 * <ul>
 *   <li>every instruction: 1
 *   <li>{@code memory.fill}, {@code memory.copy}, {@code memory.init}: 1 + 1 per {@link
 *       #BYTES_PER_UNIT} bytes
 *   <li>{@code table.fill}, {@code table.copy}, {@code table.init}, {@code table.grow}: 1 + 1 per
 *       element
 *   <li>{@code memory.grow}: 1 + {@link #PER_PAGE} per page asked for
 * </ul>
 */
public final class FuelCosts {
    private FuelCosts() {}

    /** Bulk memory operations pay one unit per this many bytes (log2 = 3: per 8 bytes). */
    public static final int BYTES_PER_UNIT_SHIFT = 3;

    public static final int BYTES_PER_UNIT = 1 << BYTES_PER_UNIT_SHIFT;

    /** Growing memory pays this per 64 KiB page: about what zeroing the page costs. */
    public static final long PER_PAGE = 8192;
}
