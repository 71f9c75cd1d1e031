package dev.kiln.host.sandbox;

import java.util.Optional;

/** How the host talks to a function's module; chosen by the function's {@code abi} setting. */
public enum Abi {
    /** The kiln reactor ABI: {@code kiln_alloc} + handler exports, host calls from {@code kiln}. */
    KILN("kiln"),
    /**
     * A WASI preview 1 command run once per invocation: body on stdin, CGI variables in the
     * environment, a CGI response on stdout (wasm-abi/ABI.md, "The wasi-cgi ABI").
     */
    WASI_CGI("wasi-cgi");

    private final String wire;

    Abi(String wire) {
        this.wire = wire;
    }

    /** The setting's value, e.g. {@code wasi-cgi}. */
    public String wire() {
        return wire;
    }

    public static Optional<Abi> byWire(String value) {
        for (Abi abi : values()) {
            if (abi.wire.equals(value)) {
                return Optional.of(abi);
            }
        }
        return Optional.empty();
    }
}
