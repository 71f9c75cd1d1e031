package dev.kiln.host.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.kiln.host.fuel.FuelInjector;
import dev.kiln.host.testing.Wat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongBinaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;

/**
 * Every comparison Wasm has, used as an {@code if} condition (Chicory branches with {@code ifeq})
 * and as a {@code br_if} condition ({@code ifne}), compiled as Kiln compiles guests: the code calls
 * none of Chicory's comparison helpers any more (docs/adr/0081), and every pair of edge values
 * gives what the Wasm spec says.
 */
class CompareBranchFuserTest {
    private static final String[] BINARY = {
        "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"
    };

    private static final long[] I64_EDGES = {
        0,
        1,
        -1,
        2,
        -2,
        5,
        Long.MIN_VALUE,
        Long.MAX_VALUE,
        Long.MIN_VALUE + 1,
        Long.MAX_VALUE - 1,
        Integer.MIN_VALUE,
        Integer.MAX_VALUE,
        0xFFFF_FFFFL,
        0x1_0000_0000L
    };

    /** As the {@code long}s an {@code i32} argument is passed in. */
    private static final long[] I32_EDGES = {
        0, 1, -1, 2, -2, 5, Integer.MIN_VALUE, Integer.MAX_VALUE, Integer.MIN_VALUE + 1, 0x80
    };

    private static Instance instance;
    private static byte[] jar;

    @BeforeAll
    static void compile() {
        StringBuilder wat = new StringBuilder("(module (memory 1)\n");
        for (String type : List.of("i32", "i64")) {
            for (String op : BINARY) {
                String cmp = "(" + type + "." + op + " (local.get 0) (local.get 1))";
                String params = "(param " + type + " " + type + ")";
                wat.append(ifForm(type + "_" + op, params, cmp));
                wat.append(brIfForm(type + "_" + op, params, cmp));
            }
            String eqz = "(" + type + ".eqz (local.get 0))";
            wat.append(ifForm(type + "_eqz", "(param " + type + ")", eqz));
            wat.append(brIfForm(type + "_eqz", "(param " + type + ")", eqz));
        }
        wat.append(")");
        byte[] wasm = Wat.compile(wat.toString());
        FuelInjector.Instrumented metered = FuelInjector.inject(wasm);
        WasmModule module = Parser.parse(metered.wasm());
        Map<String, byte[]> jars = new HashMap<>();
        ModuleCompiler.Compiled compiled =
                ModuleCompiler.compile(
                        module, metered.fuelGlobal(), TestMemories.inMemoryCache(jars));
        assertThat(compiled.fuel().onMemory()).isTrue();
        assertThat(jars).hasSize(1);
        jar = jars.values().iterator().next();
        instance =
                Instance.builder(module)
                        .withMemoryFactory(
                                limits -> TestMemories.of(limits, ResetStrategy.COPY_ON_WRITE))
                        .withMachineFactory(compiled.factory())
                        .build();
        MemoryFuel.set(Long.MAX_VALUE / 2, instance.memory());
    }

    /** {@code if (cmp) 1 else 0}: Chicory jumps to the else arm with {@code ifeq}. */
    private static String ifForm(String name, String params, String cmp) {
        return "(func (export \"if_%s\") %s (result i32) (if (result i32) %s (then (i32.const 1)) (else (i32.const 0))))\n"
                .formatted(name, params, cmp);
    }

    /** {@code br_if} out of a block when {@code cmp} holds: Chicory jumps with {@code ifne}. */
    private static String brIfForm(String name, String params, String cmp) {
        return "(func (export \"br_if_%s\") %s (result i32) (block $yes (br_if $yes %s) (return (i32.const 0))) (i32.const 1))\n"
                .formatted(name, params, cmp);
    }

    @Test
    void guestCodeCallsNoComparisonHelper() {
        List<String> calls = new ArrayList<>();
        Map<String, MethodNode> functions = GuestMethods.of(jar);
        for (MethodNode m : functions.values()) {
            for (AbstractInsnNode n : m.instructions) {
                if (n instanceof MethodInsnNode call
                        && call.getOpcode() == Opcodes.INVOKESTATIC
                        && call.owner.endsWith("/OpcodeImpl")
                        && call.name.matches("I(32|64)_(EQZ?|NE|[LG][TE]_[SU])")) {
                    calls.add(m.name + " " + call.name);
                }
            }
        }
        assertThat(functions).hasSize(2 * 2 * (BINARY.length + 1));
        assertThat(calls).isEmpty();
    }

    @Test
    void everyComparisonBranchesAsTheSpecSays() {
        for (int bits : new int[] {32, 64}) {
            long[] edges = bits == 32 ? I32_EDGES : I64_EDGES;
            String type = "i" + bits + "_";
            for (String form : List.of("if_", "br_if_")) {
                for (long a : edges) {
                    for (String op : BINARY) {
                        for (long b : edges) {
                            assertThat(instance.export(form + type + op).apply(a, b)[0])
                                    .as("%s%s%s(%d, %d)", form, type, op, a, b)
                                    .isEqualTo(holds(op, a, b, bits));
                        }
                    }
                    assertThat(instance.export(form + type + "eqz").apply(a)[0])
                            .as("%s%seqz(%d)", form, type, a)
                            .isEqualTo(a == 0 ? 1L : 0L);
                }
            }
        }
    }

    /** The spec's answer, 1 or 0, for {@code a op b} on {@code bits}-bit integers. */
    private static long holds(String op, long a, long b, int bits) {
        LongBinaryOperator signed =
                bits == 32 ? (x, y) -> Integer.compare((int) x, (int) y) : Long::compare;
        LongBinaryOperator unsigned =
                bits == 32
                        ? (x, y) -> Integer.compareUnsigned((int) x, (int) y)
                        : Long::compareUnsigned;
        long c = op.endsWith("_u") ? unsigned.applyAsLong(a, b) : signed.applyAsLong(a, b);
        boolean result =
                switch (op.substring(0, 2)) {
                    case "eq" -> c == 0;
                    case "ne" -> c != 0;
                    case "lt" -> c < 0;
                    case "gt" -> c > 0;
                    case "le" -> c <= 0;
                    case "ge" -> c >= 0;
                    default -> throw new IllegalArgumentException(op);
                };
        return result ? 1 : 0;
    }
}
