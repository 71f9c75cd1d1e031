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
        return results.stream()
                .filter(r -> r.status() == CaseResult.Status.FAIL)
                .map(r -> r.name() + ": " + r.detail())
                .toList();
    }

    private long count(CaseResult.Status s) {
        return results.stream().filter(r -> r.status() == s).count();
    }

    public void print(PrintStream out) {
        int width = results.stream().mapToInt(r -> r.name().length()).max().orElse(4);
        for (CaseResult r : results) {
            out.printf(
                    "%-" + width + "s  %-4s  %6d ms%s%n",
                    r.name(),
                    r.status(),
                    r.millis(),
                    r.detail().isEmpty() ? "" : "  " + r.detail());
        }
        // The closing line CI runners look for.
        out.println(summary());
    }

    public String summary() {
        return passed()
                + " passed, "
                + failed()
                + " failed"
                + (skipped() > 0 ? ", " + skipped() + " skipped" : "");
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
                            "  <testcase classname=\"conformance\" name=\"%s\" time=\"%.3f\"",
                            escape(r.name()), r.millis() / 1000.0));
            switch (r.status()) {
                case PASS -> xml.append("/>\n");
                case SKIP -> xml.append("><skipped/></testcase>\n");
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
