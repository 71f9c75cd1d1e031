package dev.kiln.host.observability;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The host's counters and gauges, each a family of series told apart by label values, written in
 * the Prometheus text format ({@code GET /metrics}).
 *
 * <p>Any part of Kiln registers its metrics here once, at start, and keeps the returned family. Hot
 * paths {@linkplain Counter#bind bind} a series once and then only add to it. The format for
 * counters and gauges is a few lines, so this is written here rather than pulled in with a client
 * library and its own registry model.
 */
public final class Metrics {
    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    private final Map<String, Family> families = new ConcurrentSkipListMap<>();

    /**
     * Registers a counter: a value that only goes up. By convention its name ends in {@code
     * _total}.
     *
     * @throws IllegalArgumentException for a bad or already registered name
     */
    public Counter counter(String name, String help, String... labelNames) {
        Counter c = new Counter(name, help, labelNames);
        register(c);
        return c;
    }

    /**
     * Registers a gauge: a value that is set, or goes up and down.
     *
     * @throws IllegalArgumentException for a bad or already registered name
     */
    public Gauge gauge(String name, String help, String... labelNames) {
        Gauge g = new Gauge(name, help, labelNames);
        register(g);
        return g;
    }

    /**
     * Registers a histogram: observations counted in cumulative buckets ({@code _bucket} with an
     * {@code le} label, {@code +Inf} last), with their {@code _sum} and {@code _count}.
     *
     * @param upperBounds the buckets' inclusive upper bounds, ascending and finite
     * @throws IllegalArgumentException for a bad or already registered name, bad bounds, or a label
     *     named {@code le}
     */
    public Histogram histogram(
            String name, String help, double[] upperBounds, String... labelNames) {
        Histogram h = new Histogram(name, help, upperBounds, labelNames);
        register(h);
        return h;
    }

    /**
     * Registers a gauge whose series are computed when metrics are read: {@code collect} adds each
     * series to the sink it is given. Use it for values another component already keeps (counts of
     * things held in a map), so nothing has to be kept in step.
     */
    public void gauge(String name, String help, List<String> labelNames, Consumer<Sink> collect) {
        register(new Computed(name, help, labelNames.toArray(String[]::new), "gauge", collect));
    }

    /**
     * Registers a counter whose series are computed when metrics are read, for counts another
     * component already keeps (and only ever raises); see {@link #gauge(String, String, List,
     * Consumer)}.
     */
    public void counter(String name, String help, List<String> labelNames, Consumer<Sink> collect) {
        register(new Computed(name, help, labelNames.toArray(String[]::new), "counter", collect));
    }

    private void register(Family family) {
        if (families.putIfAbsent(family.name, family) != null) {
            throw new IllegalArgumentException("metric " + family.name + " is registered twice");
        }
    }

    /** Every family in the Prometheus text exposition format (version 0.0.4), sorted by name. */
    public String scrape() {
        StringBuilder out = new StringBuilder(4096);
        for (Family f : families.values()) {
            f.write(out);
        }
        return out.toString();
    }

    /** Receives the series of a computed gauge or counter. */
    @FunctionalInterface
    public interface Sink {
        void add(double value, String... labelValues);

        /** A count or a size; Prometheus samples are float64, exact up to 2^53. */
        default void add(long value, String... labelValues) {
            add((double) value, labelValues);
        }
    }

    /** A family of series sharing a name, help text and label names. */
    public abstract static sealed class Family permits Counter, Gauge, Computed, Histogram {
        final String name;
        final String help;
        final String[] labelNames;
        private final String type;

        Family(String name, String help, String[] labelNames, String type) {
            if (!METRIC_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("bad metric name " + name);
            }
            for (String l : labelNames) {
                if (!LABEL_NAME.matcher(l).matches() || l.startsWith("__")) {
                    throw new IllegalArgumentException("bad label name " + l + " in " + name);
                }
            }
            this.name = name;
            this.help = Objects.requireNonNull(help);
            this.labelNames = labelNames.clone();
            this.type = type;
        }

        final void write(StringBuilder out) {
            out.append("# HELP ").append(name).append(' ');
            escape(out, help, false);
            out.append("\n# TYPE ").append(name).append(' ').append(type).append('\n');
            writeSeries(out);
        }

        abstract void writeSeries(StringBuilder out);

        final void sample(StringBuilder out, LabelValues labelValues, double value) {
            sample(out, "", labelValues, null, null, value);
        }

        /** A sample of {@code name + suffix}, with one more label after the family's if given. */
        final void sample(
                StringBuilder out,
                String suffix,
                LabelValues labelValues,
                String extraLabel,
                String extraValue,
                double value) {
            out.append(name).append(suffix);
            if (labelNames.length > 0 || extraLabel != null) {
                out.append('{');
                for (int i = 0; i < labelNames.length; i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    out.append(labelNames[i]).append("=\"");
                    escape(out, labelValues.get(i), true);
                    out.append('"');
                }
                if (extraLabel != null) {
                    out.append(labelNames.length > 0 ? "," : "")
                            .append(extraLabel)
                            .append("=\"")
                            .append(extraValue)
                            .append('"');
                }
                out.append('}');
            }
            out.append(' ');
            if (value == Math.rint(value) && Math.abs(value) < 1e15) {
                out.append((long) value);
            } else if (Double.isNaN(value)) {
                out.append("NaN");
            } else if (Double.isInfinite(value)) {
                out.append(value > 0 ? "+Inf" : "-Inf");
            } else {
                out.append(value);
            }
            out.append('\n');
        }

        /**
         * The series of {@code labelValues} in {@code series}, made by {@code create} if new. The
         * lookup wraps the caller's array; only a series stored for the first time copies it.
         */
        final <V> V seriesFor(
                Map<LabelValues, V> series, String[] labelValues, Supplier<V> create) {
            LabelValues key = key(labelValues);
            V bound = series.get(key);
            return bound != null ? bound : series.computeIfAbsent(key.copy(), k -> create.get());
        }

        /** The series key of {@code labelValues}, wrapping them: copy it before storing it. */
        final LabelValues key(String[] labelValues) {
            if (labelValues.length != labelNames.length) {
                throw new IllegalArgumentException(
                        name
                                + " has labels "
                                + Arrays.toString(labelNames)
                                + ", got "
                                + labelValues.length
                                + " values");
            }
            for (String v : labelValues) {
                Objects.requireNonNull(v, "label value");
            }
            return new LabelValues(labelValues);
        }

        private static void escape(StringBuilder out, String s, boolean quotes) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '"' -> out.append(quotes ? "\\\"" : "\"");
                    default -> out.append(c);
                }
            }
        }
    }

    /** A family of counters. */
    public static final class Counter extends Family {
        private final Map<LabelValues, LongAdder> series = new ConcurrentHashMap<>();

        Counter(String name, String help, String[] labelNames) {
            super(name, help, labelNames, "counter");
        }

        /** The series for these label values, created at 0 if new; keep it for hot paths. */
        public LongAdder bind(String... labelValues) {
            return seriesFor(series, labelValues, LongAdder::new);
        }

        public void inc(String... labelValues) {
            bind(labelValues).increment();
        }

        public void add(long n, String... labelValues) {
            if (n < 0) {
                throw new IllegalArgumentException("a counter only goes up");
            }
            bind(labelValues).add(n);
        }

        /** Drops a series, for label values that stopped existing (a deleted function). */
        public void remove(String... labelValues) {
            series.remove(key(labelValues));
        }

        /**
         * Drops every series whose labels have all the given values (a deleted function's series,
         * whatever their other labels).
         */
        public void removeWhere(Map<String, String> labels) {
            List<String> names = Arrays.asList(labelNames);
            series.keySet()
                    .removeIf(
                            k ->
                                    labels.entrySet().stream()
                                            .allMatch(
                                                    e -> {
                                                        int i = names.indexOf(e.getKey());
                                                        return i >= 0
                                                                && k.get(i).equals(e.getValue());
                                                    }));
        }

        /** The current value of a series, 0 if it does not exist. */
        public long value(String... labelValues) {
            LongAdder a = series.get(key(labelValues));
            return a == null ? 0 : a.sum();
        }

        @Override
        void writeSeries(StringBuilder out) {
            for (var e : sorted(series)) {
                sample(out, e.getKey(), (double) e.getValue().sum());
            }
        }
    }

    /** A family of gauges that are set (or moved up and down) by their owner. */
    public static final class Gauge extends Family {
        private final Map<LabelValues, double[]> series = new ConcurrentHashMap<>();

        Gauge(String name, String help, String[] labelNames) {
            super(name, help, labelNames, "gauge");
        }

        /** Adds {@code delta} (negative to lower) to a series, creating it at 0 if new. */
        public void add(double delta, String... labelValues) {
            double[] v = seriesFor(series, labelValues, () -> new double[1]);
            synchronized (v) {
                v[0] += delta;
            }
        }

        /** Sets a series to {@code value}. */
        public void set(double value, String... labelValues) {
            double[] v = seriesFor(series, labelValues, () -> new double[1]);
            synchronized (v) {
                v[0] = value;
            }
        }

        public void remove(String... labelValues) {
            series.remove(key(labelValues));
        }

        public double value(String... labelValues) {
            double[] v = series.get(key(labelValues));
            if (v == null) {
                return 0;
            }
            synchronized (v) {
                return v[0];
            }
        }

        @Override
        void writeSeries(StringBuilder out) {
            for (var e : sorted(series)) {
                double[] v = e.getValue();
                double value;
                synchronized (v) {
                    value = v[0];
                }
                sample(out, e.getKey(), value);
            }
        }
    }

    /**
     * A family of histograms. Observing costs one bucket search and three adders, no lock; a scrape
     * may see a series mid-update (its count one ahead of its buckets), as Prometheus clients
     * allow.
     */
    public static final class Histogram extends Family {
        private final double[] bounds;
        private final Map<LabelValues, Series> series = new ConcurrentHashMap<>();
        // Made once: a lambda capturing the bounds would be a new object on every bind.
        private final Supplier<Series> newSeries;

        Histogram(String name, String help, double[] upperBounds, String[] labelNames) {
            super(name, help, labelNames, "histogram");
            if (Arrays.asList(labelNames).contains("le")) {
                throw new IllegalArgumentException("le is the bucket label of " + name);
            }
            if (upperBounds.length == 0) {
                throw new IllegalArgumentException(name + " needs at least one bucket");
            }
            for (int i = 0; i < upperBounds.length; i++) {
                if (!Double.isFinite(upperBounds[i])
                        || (i > 0 && upperBounds[i] <= upperBounds[i - 1])) {
                    throw new IllegalArgumentException(
                            name + " bucket bounds must be finite and ascending");
                }
            }
            this.bounds = upperBounds.clone();
            this.newSeries = () -> new Series(bounds);
        }

        /** The series for these label values, created empty if new; keep it for hot paths. */
        public Series bind(String... labelValues) {
            return seriesFor(series, labelValues, newSeries);
        }

        /** Drops every series whose labels have all the given values (a deleted function's). */
        public void removeWhere(Map<String, String> labels) {
            List<String> names = Arrays.asList(labelNames);
            series.keySet()
                    .removeIf(
                            k ->
                                    labels.entrySet().stream()
                                            .allMatch(
                                                    e -> {
                                                        int i = names.indexOf(e.getKey());
                                                        return i >= 0
                                                                && k.get(i).equals(e.getValue());
                                                    }));
        }

        @Override
        void writeSeries(StringBuilder out) {
            for (var e : sorted(series)) {
                Series s = e.getValue();
                long cumulative = 0;
                for (int i = 0; i < bounds.length; i++) {
                    cumulative += s.buckets[i].sum();
                    sample(out, "_bucket", e.getKey(), "le", le(bounds[i]), (double) cumulative);
                }
                cumulative += s.buckets[bounds.length].sum();
                sample(out, "_bucket", e.getKey(), "le", "+Inf", (double) cumulative);
                sample(out, "_sum", e.getKey(), null, null, s.sum.sum());
                sample(out, "_count", e.getKey(), null, null, (double) cumulative);
            }
        }

        private static String le(double bound) {
            return bound == Math.rint(bound) && Math.abs(bound) < 1e15
                    ? Long.toString((long) bound)
                    : java.math.BigDecimal.valueOf(bound).stripTrailingZeros().toPlainString();
        }

        /** One series: a counter per bucket (the last for values above every bound) and a sum. */
        public static final class Series {
            private final double[] bounds;
            private final LongAdder[] buckets;
            private final java.util.concurrent.atomic.DoubleAdder sum =
                    new java.util.concurrent.atomic.DoubleAdder();

            private Series(double[] bounds) {
                this.bounds = bounds;
                this.buckets = new LongAdder[bounds.length + 1];
                for (int i = 0; i < buckets.length; i++) {
                    buckets[i] = new LongAdder();
                }
            }

            public void observe(double value) {
                int i = Arrays.binarySearch(bounds, value);
                // Buckets are inclusive (le): an exact match belongs to its own bound.
                buckets[i >= 0 ? i : -i - 1].increment();
                sum.add(value);
            }

            /** Observations so far (for tests). */
            public long count() {
                long n = 0;
                for (LongAdder b : buckets) {
                    n += b.sum();
                }
                return n;
            }
        }
    }

    /** A family whose series are computed when metrics are read. */
    static final class Computed extends Family {
        private final Consumer<Sink> collect;

        Computed(
                String name,
                String help,
                String[] labelNames,
                String type,
                Consumer<Sink> collect) {
            super(name, help, labelNames, type);
            this.collect = collect;
        }

        @Override
        void writeSeries(StringBuilder out) {
            Map<LabelValues, Double> values = new ConcurrentSkipListMap<>(Metrics::compare);
            collect.accept((v, labels) -> values.merge(key(labels).copy(), v, Double::sum));
            for (var e : values.entrySet()) {
                sample(out, e.getKey(), e.getValue());
            }
        }
    }

    private static <V> List<Map.Entry<LabelValues, V>> sorted(Map<LabelValues, V> series) {
        List<Map.Entry<LabelValues, V>> entries = new ArrayList<>(series.entrySet());
        entries.sort((a, b) -> compare(a.getKey(), b.getKey()));
        return entries;
    }

    private static int compare(LabelValues a, LabelValues b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    /**
     * A series' label values as a map key: compared by content and hashed once. A lookup wraps the
     * caller's array as it is, where a {@code List.of} key copied it and compared by iterators — an
     * allocation or three on every invocation's metrics; only a stored key is a {@link #copy}.
     */
    static final class LabelValues {
        private final String[] values;
        private final int hash;

        private LabelValues(String[] values) {
            this(values, Arrays.hashCode(values));
        }

        private LabelValues(String[] values, int hash) {
            this.values = values;
            this.hash = hash;
        }

        String get(int i) {
            return values[i];
        }

        int size() {
            return values.length;
        }

        /** A key of its own, safe to store whatever the caller does with its array. */
        LabelValues copy() {
            return new LabelValues(values.clone(), hash);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof LabelValues other
                    && hash == other.hash
                    && Arrays.equals(values, other.values);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
