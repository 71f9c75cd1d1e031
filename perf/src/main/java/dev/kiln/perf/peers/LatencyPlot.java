package dev.kiln.perf.peers;

import dev.kiln.loadgen.LatencyReport;
import dev.kiln.perf.peers.PeerReport.Level;
import dev.kiln.perf.peers.PeerReport.TargetResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * A self-contained HTML page per target: its numbers and a percentile-spectrum plot (inline SVG,
 * nothing fetched when viewed). X is the percentile on the usual 1/(1-p) log scale, Y the latency
 * on a log scale, one line per load level.
 */
final class LatencyPlot {
    private static final int WIDTH = 760;
    private static final int HEIGHT = 420;
    private static final int LEFT = 70;
    private static final int RIGHT = 50;
    private static final int TOP = 20;
    private static final int BOTTOM = 50;
    private static final String[] COLORS = {"#222222", "#2a9d8f", "#e9a23b", "#d1495b", "#6a4c93"};

    private LatencyPlot() {}

    static String html(TargetResult target, Map<String, Histogram> curves, String runLabel) {
        StringBuilder b = new StringBuilder();
        b.append("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>")
                .append(escape(target.id()))
                .append(" latency</title>\n<style>body{font-family:sans-serif;margin:2em}")
                .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;")
                .append("padding:4px 8px;text-align:right}</style></head><body>\n");
        b.append("<h1>").append(escape(target.id())).append("</h1>\n<p>");
        b.append(escape(target.label())).append("<br>").append(escape(runLabel)).append("</p>\n");
        b.append(
                String.format(
                        Locale.ROOT,
                        "<p>Maximum throughput %,.0f req/s (closed loop, %d connections).</p>%n",
                        target.maxThroughput(),
                        target.connections()));
        b.append("<table><tr><th>load</th><th>req/s</th><th>p50</th><th>p90</th><th>p99</th>")
                .append("<th>p99.9</th><th>max</th><th>errors</th></tr>\n");
        for (Level l : target.levels()) {
            var p = l.latency();
            b.append(
                    String.format(
                            Locale.ROOT,
                            "<tr><td>%s</td><td>%,.0f</td><td>%s</td><td>%s</td><td>%s</td>"
                                    + "<td>%s</td><td>%s</td><td>%d</td></tr>%n",
                            MarkdownReport.percent(l.fraction()),
                            l.achieved(),
                            LatencyReport.duration(p.p50()),
                            LatencyReport.duration(p.p90()),
                            LatencyReport.duration(p.p99()),
                            LatencyReport.duration(p.p999()),
                            LatencyReport.duration(p.max()),
                            l.errors()));
        }
        b.append("</table>\n");
        b.append(svg(curves));
        b.append(
                "<p>Open-loop latencies count from each request's intended send time"
                        + " (coordinated omission corrected); the closed-loop line does not, so"
                        + " it hides queueing.</p>\n");
        b.append("</body></html>\n");
        return b.toString();
    }

    /** A point of a percentile spectrum: x = log10(1/(1-p)), y = log10(latency in ms). */
    private record Point(double x, double y) {}

    static String svg(Map<String, Histogram> curves) {
        List<List<Point>> series = new ArrayList<>();
        double maxX = 3; // at least up to 99.9 %
        double minY = Double.MAX_VALUE;
        double maxY = -Double.MAX_VALUE;
        for (Histogram h : curves.values()) {
            List<Point> points = new ArrayList<>();
            if (h.getTotalCount() > 0) {
                // Beyond 1/count the spectrum holds no information: stop there.
                double deepest = Math.log10(Math.max(10.0, (double) h.getTotalCount()));
                for (HistogramIterationValue v : h.percentiles(5)) {
                    double p = v.getPercentileLevelIteratedTo() / 100.0;
                    double x = p >= 1 ? deepest : Math.min(deepest, Math.log10(1 / (1 - p)));
                    double ms = Math.max(v.getValueIteratedTo() / 1e6, 0.001);
                    points.add(new Point(x, Math.log10(ms)));
                    if (p >= 1) {
                        break;
                    }
                }
                maxX = Math.max(maxX, deepest);
            }
            for (Point pt : points) {
                minY = Math.min(minY, pt.y());
                maxY = Math.max(maxY, pt.y());
            }
            series.add(points);
        }
        if (minY > maxY) {
            minY = -1;
            maxY = 1;
        }
        minY = Math.floor(minY);
        maxY = Math.ceil(maxY + 1e-9);
        double plotW = WIDTH - LEFT - RIGHT;
        double plotH = HEIGHT - TOP - BOTTOM;
        double xMax = Math.ceil(maxX);
        double yMin = minY;
        double yMax = maxY;
        StringBuilder b = new StringBuilder();
        b.append(
                String.format(
                        Locale.ROOT,
                        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                                + " font-size=\"12\" font-family=\"sans-serif\">%n",
                        WIDTH,
                        HEIGHT + 20 * curves.size()));
        // Grid: percentiles on X, decades of milliseconds on Y.
        String[] xLabels = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"};
        for (int i = 0; i <= (int) xMax && i < xLabels.length; i++) {
            double x = LEFT + plotW * i / xMax;
            b.append(line(x, TOP, x, TOP + plotH, "#ddd"));
            b.append(text(x, TOP + plotH + 16, "middle", xLabels[i]));
        }
        for (int d = (int) yMin; d <= (int) yMax; d++) {
            double y = TOP + plotH - plotH * (d - yMin) / (yMax - yMin);
            b.append(line(LEFT, y, LEFT + plotW, y, "#ddd"));
            b.append(text(LEFT - 6, y + 4, "end", decade(d)));
        }
        b.append(text(LEFT + plotW / 2, TOP + plotH + 36, "middle", "percentile"));
        int i = 0;
        for (String name : curves.keySet()) {
            String color = COLORS[i % COLORS.length];
            StringBuilder path = new StringBuilder();
            for (Point pt : series.get(i)) {
                double x = LEFT + plotW * pt.x() / xMax;
                double y = TOP + plotH - plotH * (pt.y() - yMin) / (yMax - yMin);
                path.append(path.isEmpty() ? "M" : " L")
                        .append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
            }
            if (!path.isEmpty()) {
                b.append("<path fill=\"none\" stroke-width=\"2\" stroke=\"")
                        .append(color)
                        .append("\" d=\"")
                        .append(path)
                        .append("\"/>\n");
            }
            double ly = HEIGHT + 20 * i;
            b.append(line(LEFT, ly - 4, LEFT + 24, ly - 4, color));
            b.append(text(LEFT + 30, ly, "start", name));
            i++;
        }
        b.append("</svg>\n");
        return b.toString();
    }

    /**
     * Axis label of 10^d milliseconds: {@code 10 µs}, {@code 1 ms}, {@code 100 ms}, {@code 1 s}.
     */
    static String decade(int d) {
        int micros = d + 3; // 10^micros µs
        String[] units = {"µs", "ms", "s"};
        int unit = Math.min(2, Math.max(0, Math.floorDiv(micros, 3)));
        int exponent = micros - 3 * unit;
        if (exponent < 0) {
            return String.format(Locale.ROOT, "%s µs", 1 / Math.pow(10, -exponent));
        }
        return (long) Math.pow(10, exponent) + " " + units[unit];
    }

    private static String line(double x1, double y1, double x2, double y2, String color) {
        return String.format(
                Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>%n",
                x1,
                y1,
                x2,
                y2,
                color);
    }

    private static String text(double x, double y, String anchor, String s) {
        return String.format(
                Locale.ROOT,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>%n",
                x,
                y,
                anchor,
                escape(s));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
