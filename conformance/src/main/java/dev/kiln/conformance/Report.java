package dev.kiln.conformance;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The results of a run: a table, the summary line, and JUnit XML. */
public final class Report {
    private final List<CaseResult> results;

    Report(List<CaseResult> results) {
        this.results = List.copyOf(results);
    }

    /** Every case's result, in name order. */
    public List<CaseResult> results() {
        return results;
    }

    public long passed() {
        return count(CaseResult.Status.PASS);
    }

    public long failed() {
        return count(CaseResult.Status.FAIL);
    }

    public long skipped() {
        return count(CaseResult.Status.SKIP);
    }

    /** Failing cases with what differed, one per line. */
    public List<String> failures() {
        return lines(CaseResult.Status.FAIL);
    }

    /** Skipped cases with the reason, one per line. */
    public List<String> skips() {
        return lines(CaseResult.Status.SKIP);
    }

    private List<String> lines(CaseResult.Status status) {
        return results.stream()
                .filter(r -> r.status() == status)
                .map(r -> r.name() + ": " + r.detail())
                .toList();
    }

    private long count(CaseResult.Status s) {
        return results.stream().filter(r -> r.status() == s).count();
    }

    /** One line per case: name, PASS/FAIL/SKIP, time, and what differed or why it was skipped. */
    public void print(PrintStream out) {
        int width = results.stream().mapToInt(r -> r.name().length()).max().orElse(4);
        out.printf("%-" + width + "s  %-6s  %9s  %s%n", "case", "result", "time", "detail");
        for (CaseResult r : results) {
            out.printf(
                    "%-" + width + "s  %-6s  %6d ms  %s%n",
                    r.name(),
                    r.status(),
                    r.millis(),
                    r.detail());
        }
        // The closing line CI runners look for.
        out.println(summary());
    }

    public String summary() {
        return passed() + " passed, " + failed() + " failed, " + skipped() + " skipped";
    }

    public void writeJUnitXml(Path file) throws IOException {
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        double total = results.stream().mapToLong(CaseResult::millis).sum() / 1000.0;
        xml.append(
                String.format(
                        "<testsuite name=\"kiln-conformance\" tests=\"%d\" failures=\"%d\""
                                + " skipped=\"%d\" time=\"%.3f\">%n",
                        results.size(), failed(), skipped(), total));
        for (CaseResult r : results) {
            xml.append(
                    String.format(
                            "  <testcase classname=\"conformance.%s\" name=\"%s\" time=\"%.3f\"",
                            escape(ConformanceSuite.area(r.name())),
                            escape(r.name()),
                            r.millis() / 1000.0));
            switch (r.status()) {
                case PASS -> xml.append("/>\n");
                case SKIP ->
                        xml.append("><skipped message=\"")
                                .append(escape(r.detail()))
                                .append("\"/></testcase>\n");
                case FAIL ->
                        xml.append("><failure message=\"")
                                .append(escape(r.detail()))
                                .append("\"/></testcase>\n");
            }
        }
        xml.append("</testsuite>\n");
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        Files.writeString(file, xml, StandardCharsets.UTF_8);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\"", "&quot;")
                .replaceAll("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]", "?");
    }
}
