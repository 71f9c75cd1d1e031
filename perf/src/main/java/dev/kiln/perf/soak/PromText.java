package dev.kiln.perf.soak;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One scrape of Kiln's {@code GET /metrics} (Prometheus text format), parsed into series and their
 * values, so figures can be read and two scrapes subtracted.
 */
record PromText(List<Series> series) {
    /** One line: a metric name, its labels and its value. */
    record Series(String name, Map<String, String> labels, double value) {}

    static PromText parse(String text) {
        List<Series> all = new ArrayList<>();
        for (String line : text.lines().toList()) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String key = line.substring(0, space);
            double value = Double.parseDouble(line.substring(space + 1).trim());
            int brace = key.indexOf('{');
            if (brace < 0) {
                all.add(new Series(key, Map.of(), value));
            } else {
                all.add(new Series(key.substring(0, brace), labels(key, brace + 1), value));
            }
        }
        return new PromText(List.copyOf(all));
    }

    private static Map<String, String> labels(String key, int from) {
        Map<String, String> labels = new LinkedHashMap<>();
        int i = from;
        while (i < key.length() && key.charAt(i) != '}') {
            int eq = key.indexOf('=', i);
            String name = key.substring(i, eq);
            StringBuilder value = new StringBuilder();
            int j = eq + 2; // past ="
            while (key.charAt(j) != '"') {
                char c = key.charAt(j);
                if (c == '\\') {
                    j++;
                    c = key.charAt(j) == 'n' ? '\n' : key.charAt(j);
                }
                value.append(c);
                j++;
            }
            labels.put(name, value.toString());
            i = j + 1;
            if (i < key.length() && key.charAt(i) == ',') {
                i++;
            }
        }
        return labels;
    }

    /** The sum of every series of {@code name} whose labels include all of {@code match}. */
    double sum(String name, Map<String, String> match) {
        double total = 0;
        for (Series s : series) {
            if (s.name().equals(name) && s.labels().entrySet().containsAll(match.entrySet())) {
                total += s.value();
            }
        }
        return total;
    }

    /**
     * For the series of {@code name} matching {@code match}: the value of label {@code by} mapped
     * to how much the series grew since {@code before} (counters; a series new in this scrape
     * counts from zero). Series that did not grow are left out.
     */
    Map<String, Double> increaseBy(
            PromText before, String name, Map<String, String> match, String by) {
        Map<String, Double> grew = new LinkedHashMap<>();
        for (Series s : series) {
            if (!s.name().equals(name) || !s.labels().entrySet().containsAll(match.entrySet())) {
                continue;
            }
            Map<String, String> exact = s.labels();
            double was = before == null ? 0 : before.sum(name, exact);
            double delta = s.value() - was;
            if (delta > 0) {
                grew.merge(exact.getOrDefault(by, ""), delta, Double::sum);
            }
        }
        return grew;
    }
}
