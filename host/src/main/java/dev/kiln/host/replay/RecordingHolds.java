package dev.kiln.host.replay;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which queued recordings the writer puts on disk now, which it holds back, and which it never
 * writes (docs/adr/0041). Retention keeps a function's newest {@code maxPerFunction}: a function
 * recorded faster than that per window would have most of what is written deleted again at once. So
 * in each window ({@code holdNanos}) a function writes up to {@code maxPerFunction} as they come;
 * beyond that it holds its newest {@code maxPerFunction} in memory, newer ones replacing older
 * ones, and writes them when the window ends. A function recorded slowly is written as soon as
 * before; a busy one writes about {@code maxPerFunction} per window whatever its rate. The writer
 * thread's only.
 */
final class RecordingHolds {
    /** A recording waiting for the writer, and the bytes it counts against the queue's bound. */
    record Entry(Recording recording, long bytes) implements RecordingStore.Queued {}

    /** What one pass decided: written now, or never (newer ones of its function replaced it). */
    record Pass(List<Entry> write, List<Entry> superseded) {}

    // The order retention keeps recordings in (the store's prune ORDER BY).
    private static final Comparator<Entry> NEWEST_FIRST =
            Comparator.comparingLong((Entry e) -> e.recording().startedAtMillis())
                    .thenComparing(e -> e.recording().requestId())
                    .reversed();

    private final int maxPerFunction;
    private final long holdNanos;
    private final long maxHeldBytes;
    private final Map<List<String>, Window> functions = new HashMap<>();
    private long heldBytes;

    private static final class Window {
        long start;
        int written;
        List<Entry> held = List.of();

        Window(long start) {
            this.start = start;
        }
    }

    /**
     * @param holdNanos a window's length: how late a held recording may reach the disk
     * @param maxHeldBytes past this many held bytes, everything held is written at once
     */
    RecordingHolds(int maxPerFunction, long holdNanos, long maxHeldBytes) {
        this.maxPerFunction = maxPerFunction;
        this.holdNanos = holdNanos;
        this.maxHeldBytes = maxHeldBytes;
    }

    /**
     * Takes the recordings that {@code arrived} (in queue order) and says which to write now.
     *
     * @param flushing write everything held too (a flush, or the writer closing)
     */
    Pass take(List<Entry> arrived, boolean flushing, long now) {
        List<Entry> write = new ArrayList<>();
        List<Entry> superseded = new ArrayList<>();
        // Windows that ended first: what they held goes out, and a new window starts empty.
        boolean overBytes = heldBytes > maxHeldBytes;
        for (Iterator<Window> it = functions.values().iterator(); it.hasNext(); ) {
            Window w = it.next();
            boolean ended = now - w.start >= holdNanos;
            if (!w.held.isEmpty() && (flushing || ended || overBytes)) {
                write.addAll(w.held);
                release(w.held);
                w.start = now;
                w.written = w.held.size();
                w.held = List.of();
            } else if (w.held.isEmpty() && ended) {
                it.remove(); // a function not recorded for a window holds no state
            }
        }
        for (Map.Entry<List<String>, List<Entry>> f : byFunction(arrived).entrySet()) {
            Window w = functions.computeIfAbsent(f.getKey(), k -> new Window(now));
            List<Entry> merged = f.getValue();
            if (!w.held.isEmpty()) {
                merged.addAll(w.held);
                release(w.held);
                w.held = List.of();
            }
            if (merged.size() > maxPerFunction) {
                merged = newest(merged, superseded);
            }
            if (flushing || w.written + merged.size() <= maxPerFunction) {
                write.addAll(merged);
                w.written += merged.size();
            } else {
                w.held = merged;
                heldBytes += bytes(merged);
            }
        }
        return new Pass(write, superseded);
    }

    /** Whether any recording is held back. */
    boolean holding() {
        return functions.values().stream().anyMatch(w -> !w.held.isEmpty());
    }

    /** Whether {@code e} is held back (it is still counted against the queue's bound). */
    boolean holds(Entry e) {
        Window w = functions.get(List.of(e.recording().service(), e.recording().function()));
        return w != null && w.held.stream().anyMatch(h -> h.equals(e));
    }

    private void release(List<Entry> entries) {
        heldBytes -= bytes(entries);
    }

    /** The bytes {@code entries} count against the queue's bound. */
    static long bytes(List<Entry> entries) {
        long n = 0;
        for (Entry e : entries) {
            n += e.bytes();
        }
        return n;
    }

    /**
     * The newest {@code maxPerFunction} of {@code entries} (more than that); the rest go to {@code
     * superseded}. Sorting all of them by the comparator was most of the writer's work per
     * recording: the start times alone, as primitives, find the cut, and only the recordings that
     * started in the cut's millisecond are compared by request id.
     */
    private List<Entry> newest(List<Entry> entries, List<Entry> superseded) {
        long[] starts = new long[entries.size()];
        for (int i = 0; i < starts.length; i++) {
            starts[i] = entries.get(i).recording().startedAtMillis();
        }
        Arrays.sort(starts);
        long cut = starts[starts.length - maxPerFunction];
        List<Entry> kept = new ArrayList<>(maxPerFunction);
        List<Entry> atCut = new ArrayList<>();
        for (Entry e : entries) {
            long start = e.recording().startedAtMillis();
            if (start > cut) {
                kept.add(e);
            } else if (start == cut) {
                atCut.add(e);
            } else {
                superseded.add(e);
            }
        }
        atCut.sort(NEWEST_FIRST);
        int room = maxPerFunction - kept.size();
        kept.addAll(atCut.subList(0, room));
        superseded.addAll(atCut.subList(room, atCut.size()));
        return kept;
    }

    private static Map<List<String>, List<Entry>> byFunction(List<Entry> arrived) {
        Map<List<String>, List<Entry>> out = new LinkedHashMap<>();
        Recording previous = null;
        List<Entry> group = null;
        for (Entry e : arrived) {
            Recording r = e.recording();
            // A batch is mostly runs of one function: no key to build for those.
            if (previous == null
                    || !previous.function().equals(r.function())
                    || !previous.service().equals(r.service())) {
                group =
                        out.computeIfAbsent(
                                List.of(r.service(), r.function()), f -> new ArrayList<>());
            }
            group.add(e);
            previous = r;
        }
        return out;
    }
}
