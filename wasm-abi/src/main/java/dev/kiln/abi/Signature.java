package dev.kiln.abi;

import java.util.List;

/** A Wasm function signature as plain data, so this module needs no Wasm runtime. */
public record Signature(List<ValueKind> params, List<ValueKind> results) {
    public Signature {
        params = List.copyOf(params);
        results = List.copyOf(results);
    }

    static Signature of(List<ValueKind> params, ValueKind result) {
        return new Signature(params, result == null ? List.of() : List.of(result));
    }

    @Override
    public String toString() {
        return params + " -> " + results;
    }
}
