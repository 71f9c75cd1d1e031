package dev.kiln.host.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** ModuleRules' hand-written equals: every component of the record counts, and only they do. */
class ModuleRulesTest {
    @Test
    void rulesDifferingInAnyOneComponentAreDifferent() throws Exception {
        RecordComponent[] components = ModuleRules.class.getRecordComponents();
        Constructor<ModuleRules> canonical =
                ModuleRules.class.getDeclaredConstructor(
                        Arrays.stream(components)
                                .map(RecordComponent::getType)
                                .toArray(Class<?>[]::new));
        Object[] base = {"kiln_handle", 64, ModuleLimits.DEFAULTS, Abi.KILN};
        assertThat(base).hasSameSizeAs(components);
        ModuleRules rules = canonical.newInstance(base);
        ModuleRules same = canonical.newInstance(base.clone());
        assertThat(rules).isEqualTo(same).hasSameHashCodeAs(same);
        assertThat(rules)
                .isEqualTo(
                        new ModuleRules(
                                new String("kiln_handle"),
                                64,
                                limits(ModuleLimits.DEFAULTS.maxFunctions())));
        for (int i = 0; i < components.length; i++) {
            Object[] args = base.clone();
            args[i] = another(components[i].getType(), base[i]);
            assertThat(canonical.newInstance(args))
                    .as("differing in " + components[i].getName())
                    .isNotEqualTo(rules);
        }
        assertThat(new ModuleRules(null, 64, ModuleLimits.DEFAULTS))
                .isEqualTo(new ModuleRules(null, 64, ModuleLimits.DEFAULTS))
                .isNotEqualTo(rules);
    }

    /** A value of {@code type} unlike {@code value}; a new component type needs a case here. */
    private static Object another(Class<?> type, Object value) {
        if (type == String.class) {
            return value + "_other";
        } else if (type == int.class) {
            return (Integer) value + 1;
        } else if (type == ModuleLimits.class) {
            return limits(ModuleLimits.DEFAULTS.maxFunctions() + 1);
        } else if (type == Abi.class) {
            return value == Abi.KILN ? Abi.WASI_CGI : Abi.KILN;
        }
        throw new AssertionError("no other value for a component of type " + type);
    }

    /** The defaults as a new object, {@code maxFunctions} changed. */
    private static ModuleLimits limits(int maxFunctions) {
        ModuleLimits d = ModuleLimits.DEFAULTS;
        return new ModuleLimits(
                maxFunctions,
                d.maxInstructions(),
                d.maxLocalsPerFunction(),
                d.maxNestingDepth(),
                d.maxTypes(),
                d.maxGlobals(),
                d.maxTables(),
                d.maxTableElements(),
                d.maxDataSegments(),
                d.maxDataBytes(),
                d.maxExports(),
                d.maxCodeBytes(),
                d.maxBrTableTargets(),
                d.maxBrTableTargetsTotal(),
                d.maxOperandStackDepth());
    }
}
