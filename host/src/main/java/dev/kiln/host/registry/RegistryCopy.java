package dev.kiln.host.registry;

import dev.kiln.host.core.FunctionName;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link Registry}'s in-memory copy, which the invocation path reads without locking: every
 * function with its aliases and the versions read so far, fed by the storage's announcements
 * (docs/adr/0048). A state is taken only if its revision is newer than the one in, so a late or
 * repeated announcement never rolls a function back.
 */
final class RegistryCopy {
    /** A function's state with the storage revision it has, replaced as one value. */
    record Applied(FunctionState state, long revision) {}

    final Map<FunctionName, FunctionInfo> functions = new ConcurrentHashMap<>();

    /** Versions read since start, by function: filled on first use, so an invocation reads none. */
    final Map<FunctionName, Map<Integer, VersionInfo>> versions = new ConcurrentHashMap<>();

    /** Every alias, by function then name; replaced whole, so readers never lock. */
    final Map<FunctionName, Map<String, AliasInfo>> aliases = new ConcurrentHashMap<>();

    /** States with their revisions: a writer reads both at once and expects that revision. */
    private final Map<FunctionName, Applied> states = new ConcurrentHashMap<>();

    /** Revisions of functions deleted, so that no older announcement brings one back. */
    private final Map<FunctionName, Long> deletedAt = new ConcurrentHashMap<>();

    Applied applied(FunctionName k) {
        return states.get(k);
    }

    /** The revision of the function's state as this node has it; writes expect it. */
    long revision(FunctionName k) {
        Applied a = states.get(k);
        return a == null ? RegistryStorage.NO_REVISION : a.revision();
    }

    List<AliasInfo> aliasList(FunctionName k) {
        Applied a = states.get(k);
        return a == null ? List.of() : a.state().aliases();
    }

    Map<Integer, VersionInfo> versionsOf(FunctionName k) {
        return versions.computeIfAbsent(k, x -> new ConcurrentHashMap<>());
    }

    /**
     * Takes {@code state} (null: deleted) as the function's, unless a newer revision is already in.
     * The caches readers use are filled before the revision is visible: a writer that reads a
     * revision has the state that came with it.
     */
    void apply(FunctionName k, FunctionState state, long revision) {
        Applied now = states.get(k);
        long seen = Math.max(now == null ? 0 : now.revision(), deletedAt.getOrDefault(k, 0L));
        if (revision <= seen) {
            return;
        }
        if (state == null) {
            states.remove(k);
            deletedAt.put(k, revision);
            functions.remove(k);
            versions.remove(k);
            aliases.remove(k);
            return;
        }
        Map<String, AliasInfo> byName = new ConcurrentHashMap<>();
        for (AliasInfo a : state.aliases()) {
            byName.put(a.name(), a);
        }
        aliases.put(k, byName);
        versionsOf(k).put(state.info().latest().number(), state.info().latest());
        functions.put(k, state.info());
        states.put(k, new Applied(state, revision));
    }

    /** What the storage announces: every function at start, then (shared) every change. */
    RegistryStorage.Changes feed() {
        return new RegistryStorage.Changes() {
            @Override
            public void function(FunctionName function, FunctionState state, long revision) {
                apply(function, state, revision);
            }

            @Override
            public void versionRemoved(FunctionName function, int number) {
                Map<Integer, VersionInfo> cached = versions.get(function);
                if (cached != null) {
                    cached.remove(number);
                }
            }
        };
    }
}
