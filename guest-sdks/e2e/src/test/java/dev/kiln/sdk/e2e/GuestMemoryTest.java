package dev.kiln.sdk.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.kiln.abi.AbiV1;
import dev.kiln.abi.EffectLimits;
import dev.kiln.abi.GuestEffects;
import dev.kiln.abi.GuestMemory;
import dev.kiln.abi.Header;
import dev.kiln.abi.HostCall;
import dev.kiln.abi.HostCalls;
import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.abi.InvocationContext;
import dev.kiln.abi.ValueKind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No SDK leaks memory across invocations: one instance serves hundreds of invocations without the
 * host's snapshot reset in between (as in a {@code reuse} isolation mode), and its memory stops
 * growing after the first few. Runs the modules on Chicory with the ABI's own host calls ({@code
 * dev.kiln.abi.HostCalls}), so only the guest's allocator is under test.
 */
@Tag("slow") // builds guest SDK modules with their toolchains
class GuestMemoryTest {
    static final int WARM_UP = 20;
    static final int INVOCATIONS = 200;

    static Stream<Arguments> modules() {
        List<Arguments> all = new ArrayList<>();
        for (String example : List.of("echo", "order", "hello")) {
            all.add(
                    Arguments.of(
                            "rust",
                            example,
                            "rust/target/wasm32-unknown-unknown/release/examples/"
                                    + example
                                    + ".wasm"));
            all.add(Arguments.of("c", example, "c/build/" + example + ".wasm"));
            all.add(Arguments.of("c", example, "c/build/libc/" + example + ".wasm"));
            all.add(
                    Arguments.of(
                            "assemblyscript",
                            example,
                            "assemblyscript/build/" + example + ".wasm"));
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("modules")
    void memoryStopsGrowingWithoutResets(String sdk, String example, String module) {
        SdkBuild.ensureBuilt(sdk);
        Guest guest = new Guest(SdkBuild.read(SdkBuild.SDKS.resolve(module)));
        byte[] payload = payload(example);
        int pagesAfterWarmUp = 0;
        for (int i = 0; i < INVOCATIONS; i++) {
            byte[] result = guest.invoke(example, payload, i);
            if (i == 0) {
                assertThat(result).as("first result of %s", module).isNotEmpty();
            }
            if (i == WARM_UP) {
                pagesAfterWarmUp = guest.pages();
            }
        }
        assertThat(guest.pages())
                .as("pages of %s after %d vs %d invocations", module, INVOCATIONS, WARM_UP)
                .isEqualTo(pagesAfterWarmUp);
    }

    static byte[] payload(String example) {
        String text =
                switch (example) {
                    case "order" -> SdkExamplesContract.ORDER;
                    case "echo" -> "x".repeat(20_000);
                    default -> "";
                };
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** One instance of a module, its kiln imports bound to {@link HostCalls}. */
    static final class Guest {
        final HostCalls calls = new HostCalls();
        final Instance instance;
        final Memory memory;
        final ExportFunction alloc;
        final ExportFunction handle;

        Guest(byte[] wasm) {
            GuestMemory[] view = new GuestMemory[1];
            List<ImportFunction> imports = new ArrayList<>();
            for (HostCall call : HostCall.values()) {
                var sig = call.signature();
                imports.add(
                        new HostFunction(
                                AbiV1.IMPORT_MODULE,
                                call.importName(),
                                FunctionType.of(types(sig.params()), types(sig.results())),
                                (inst, args) -> {
                                    long r = calls.call(call, view[0], args);
                                    return sig.results().isEmpty() ? null : new long[] {r};
                                }));
            }
            instance =
                    Instance.builder(Parser.parse(wasm))
                            .withImportValues(ImportValues.builder().withFunctions(imports).build())
                            .build();
            memory = instance.memory();
            view[0] = new ChicoryView(memory);
            // Every SDK exports kiln_init: it reserves heap before the host's snapshot.
            instance.export(AbiV1.EXPORT_INIT).apply();
            alloc = instance.export(AbiV1.EXPORT_ALLOC);
            handle = instance.export(AbiV1.EXPORT_HANDLE);
        }

        byte[] invoke(String example, byte[] payload, int n) {
            HttpRequestMeta http =
                    example.equals("hello")
                            ? new HttpRequestMeta(
                                    "GET",
                                    "/greet",
                                    "name=n" + n,
                                    List.of(new Header("accept", "text/plain")))
                            : null;
            var context =
                    new InvocationContext(
                            "req" + n,
                            "svc",
                            example,
                            "v1",
                            http == null ? "invoke" : "http",
                            System.currentTimeMillis() + 60_000,
                            http,
                            Map.of());
            GuestEffects effects = calls.begin(context, EffectLimits.DEFAULTS);
            try {
                int ptr = (int) alloc.apply(payload.length)[0];
                memory.write(ptr, payload);
                long packed = handle.apply(ptr, payload.length)[0];
                assertThat(effects.failure()).as("guest error").isNull();
                return memory.readBytes(
                        (int) AbiV1.resultPtr(packed), (int) AbiV1.resultLen(packed));
            } finally {
                calls.end();
            }
        }

        int pages() {
            return memory.pages();
        }

        private static List<ValType> types(List<ValueKind> kinds) {
            return kinds.stream().map(k -> k == ValueKind.I32 ? ValType.I32 : ValType.I64).toList();
        }
    }

    record ChicoryView(Memory memory) implements GuestMemory {
        @Override
        public long size() {
            return (long) memory.pages() * Memory.PAGE_SIZE;
        }

        @Override
        public byte[] read(int ptr, int len) {
            return memory.readBytes(ptr, len);
        }

        @Override
        public void write(int ptr, byte[] bytes, int offset, int len) {
            memory.write(ptr, Arrays.copyOfRange(bytes, offset, offset + len));
        }
    }
}
