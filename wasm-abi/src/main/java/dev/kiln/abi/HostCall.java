package dev.kiln.abi;

import static dev.kiln.abi.ValueKind.I32;
import static dev.kiln.abi.ValueKind.I64;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Every function a guest may import from module {@code kiln} in ABI v1, with its signature. */
public enum HostCall {
    CONTEXT_GET("context_get", List.of(I32, I32, I32), I32),
    DEADLINE_MS("deadline_ms", List.of(), I64),
    REQUEST_GET("request_get", List.of(I32, I32, I32), I32),
    REQUEST_HEADER("request_header", List.of(I32, I32, I32, I32, I32), I32),
    REQUEST_HEADERS("request_headers", List.of(I32, I32), I32),
    RESPONSE_SET_STATUS("response_set_status", List.of(I32), I32),
    RESPONSE_HEADER_SET("response_header_set", List.of(I32, I32, I32, I32), I32),
    RESPONSE_HEADER_ADD("response_header_add", List.of(I32, I32, I32, I32), I32),
    LOG("log", List.of(I32, I32, I32), I32),
    CONFIG_GET("config_get", List.of(I32, I32, I32, I32), I32),
    CLOCK_UNIX_NS("clock_unix_ns", List.of(), I64),
    CLOCK_MONOTONIC_NS("clock_monotonic_ns", List.of(), I64),
    RANDOM_FILL("random_fill", List.of(I32, I32), I32),
    FAIL("fail", List.of(I32, I32), I32),
    // Key-value store of the function's service (ABI.md section 4.12; docs/adr/0039).
    KV_GET("kv_get", List.of(I32, I32, I32, I32), I32),
    KV_SET("kv_set", List.of(I32, I32, I32, I32, I64), I32),
    KV_DELETE("kv_delete", List.of(I32, I32), I32),
    KV_LIST("kv_list", List.of(I32, I32, I32, I32, I32, I32), I32),
    KV_INCREMENT("kv_increment", List.of(I32, I32, I64, I32), I32),
    KV_COMPARE_AND_SWAP("kv_compare_and_swap", List.of(I32, I32, I32, I32, I32, I32), I32),
    // Outbound HTTP (ABI.md section 4.13; docs/adr/0040).
    HTTP_SEND("http_send", List.of(I32, I32, I32, I32, I32, I32, I32, I32), I32),
    HTTP_RESPONSE_STATUS("http_response_status", List.of(I32), I32),
    HTTP_RESPONSE_HEADERS("http_response_headers", List.of(I32, I32, I32), I32),
    HTTP_RESPONSE_BODY("http_response_body", List.of(I32, I32, I32), I32);

    private static final Map<String, HostCall> BY_NAME =
            Arrays.stream(values())
                    .collect(
                            Collectors.toUnmodifiableMap(
                                    HostCall::importName, Function.identity()));

    private final String importName;

    // Signature is a record of unmodifiable lists (List.copyOf), immutable in fact.
    @SuppressWarnings("ImmutableEnumChecker")
    private final Signature signature;

    HostCall(String importName, List<ValueKind> params, ValueKind result) {
        this.importName = importName;
        this.signature = Signature.of(params, result);
    }

    /** The field name under module {@code kiln}. */
    public String importName() {
        return importName;
    }

    public Signature signature() {
        return signature;
    }

    /** Whether this is one of the key-value calls, which wasi-cgi guests may import too. */
    public boolean keyValue() {
        return importName.startsWith("kv_");
    }

    /** Whether this is one of the outbound HTTP calls (section 4.13). */
    public boolean outboundHttp() {
        return importName.startsWith("http_");
    }

    /**
     * Whether wasi-cgi guests may import this call next to WASI: the key-value and outbound HTTP
     * calls (ABI.md section 9.2).
     */
    public boolean wasiCgiImport() {
        return keyValue() || outboundHttp();
    }

    public static Optional<HostCall> byImportName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }
}
