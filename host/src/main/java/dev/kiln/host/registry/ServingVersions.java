package dev.kiln.host.registry;

import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which of a function's versions LATEST and its aliases run: the ones that take traffic (whose
 * pools are kept) and the ones that can run at all (whose code is kept compiled).
 */
final class ServingVersions {
    private ServingVersions() {}

    /** The newest version and every version an alias sends a share of its invocations to. */
    static Set<Integer> takingTraffic(FunctionInfo f, List<AliasInfo> aliases) {
        Set<Integer> out = new TreeSet<>();
        out.add(f.latest().number());
        for (AliasInfo a : aliases) {
            if (a.takesTraffic(a.version())) {
                out.add(a.version());
            }
            if (a.additionalVersion() != 0 && a.takesTraffic(a.additionalVersion())) {
                out.add(a.additionalVersion());
            }
        }
        return out;
    }

    /** The numbers of the versions LATEST or an alias can run, newest first. */
    static Set<Integer> referenced(FunctionInfo f, List<AliasInfo> aliases) {
        Set<Integer> numbers = new TreeSet<>(Comparator.reverseOrder());
        numbers.add(f.latest().number());
        for (AliasInfo a : aliases) {
            numbers.add(a.version());
            if (a.additionalVersion() != 0) {
                numbers.add(a.additionalVersion());
            }
        }
        return numbers;
    }
}
