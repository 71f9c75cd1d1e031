package dev.kiln.conformance;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Loads the case folders, runs the selected ones against a target, and collects results. */
public final class ConformanceSuite {
    private final List<ConformanceCase> cases;

    private ConformanceSuite(List<ConformanceCase> cases) {
        this.cases = cases;
    }

    /**
     * Loads the cases under {@code casesDir} that match {@code filter}.
     *
     * @param filter a glob over case names such as {@code abi/*}, or null for all
     */
    public static ConformanceSuite load(Path casesDir, String filter) throws IOException {
        List<ConformanceCase> all = CaseLoader.loadAll(casesDir);
        if (filter == null) {
            return new ConformanceSuite(all);
        }
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + filter);
        return new ConformanceSuite(
                all.stream().filter(c -> m.matches(Path.of(c.name()))).toList());
    }

    /** The cases whose area (the first folder of the name) is or is not in {@code areas}. */
    public ConformanceSuite areas(Set<String> areas, boolean included) {
        return new ConformanceSuite(
                cases.stream().filter(c -> areas.contains(area(c.name())) == included).toList());
    }

    static String area(String caseName) {
        int slash = caseName.indexOf('/');
        return slash < 0 ? "" : caseName.substring(0, slash);
    }

    public List<String> names() {
        return cases.stream().map(ConformanceCase::name).toList();
    }

    /**
     * An I/O failure in one line. java.net.http often gives no message at all (a refused connection
     * is a ConnectException with none), so name those cases from the cause chain.
     */
    static String describe(Throwable e) {
        String message = null;
        boolean unresolved = false;
        boolean connect = false;
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (message == null && c.getMessage() != null) {
                message = c.getMessage().replaceAll("\\s+", " ").trim();
            }
            unresolved |= c instanceof java.nio.channels.UnresolvedAddressException;
            connect |= c instanceof java.net.ConnectException;
        }
        if (message != null) {
            return message;
        }
        return unresolved
                ? "unknown host"
                : connect ? "connection refused" : e.getClass().getName();
    }

    /**
     * Runs every case, {@code parallel} at a time, in name order of the results. First asks the
     * target for its limits and features ({@code GET /api/v1/limits}).
     */
    public Report run(URI target, String adminToken, int parallel)
            throws InterruptedException, RunnerException.TargetUnavailable {
        KilnClient client = new KilnClient(target, adminToken);
        TargetInfo info;
        try {
            info = TargetInfo.probe(client);
        } catch (java.io.IOException e) {
            throw new RunnerException.TargetUnavailable(
                    "cannot reach " + target + ": " + describe(e), e);
        }
        // Cases that send guests' requests out need a server the target can reach: one on
        // loopback when the target is on loopback too; elsewhere they are skipped.
        Origin origin;
        try {
            origin = info.has("outbound") ? Origin.forTarget(target) : null;
        } catch (java.io.IOException e) {
            origin = null;
        }
        if (origin == null) {
            info = info.without("outbound");
        }
        CaseRunner runner = new CaseRunner(client, info, origin == null ? null : origin.url());
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallel));
        try {
            List<Future<CaseResult>> futures = new ArrayList<>();
            for (ConformanceCase c : cases) {
                if (!c.exclusive()) {
                    futures.add(pool.submit(() -> runner.run(c)));
                }
            }
            List<CaseResult> results = new ArrayList<>();
            for (Future<CaseResult> f : futures) {
                try {
                    results.add(f.get());
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
            // Alone, once every other case is done: their state would leak into the others.
            for (ConformanceCase c : cases) {
                if (c.exclusive()) {
                    results.add(runner.run(c));
                }
            }
            results.sort(java.util.Comparator.comparing(CaseResult::name));
            return new Report(results);
        } finally {
            pool.shutdownNow();
            if (origin != null) {
                origin.close();
            }
        }
    }
}
