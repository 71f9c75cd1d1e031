package dev.kiln.abi;

/** The Wasm value types the kiln ABI uses. */
public enum ValueKind {
    I32,
    I64
}
