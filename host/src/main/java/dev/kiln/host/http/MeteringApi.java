package dev.kiln.host.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.kiln.host.access.Principal;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import dev.kiln.host.observability.FunctionStats;
import dev.kiln.host.observability.InvocationStore;
import dev.kiln.host.observability.StatsPoint;
import dev.kiln.host.observability.UsageAmounts;
import dev.kiln.host.observability.UsageQuery;
import dev.kiln.host.observability.UsageRow;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.Registry;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * Usage ({@code GET /api/v1/usage}) and a function's statistics for charts ({@code GET …/stats}),
 * docs/adr/0043.
 */
final class MeteringApi {
    /** Time buckets one usage answer may span. */
    static final int MAX_USAGE_BUCKETS = 2232; // 93 days of hours

    /** Rows one usage answer may hold. */
    static final int MAX_USAGE_ROWS = 10_000;

    private static final String FN = "/api/v1/services/{service}/functions/{function}";

    private final InvocationStore records;
    private final Registry registry;

    MeteringApi(InvocationStore records, Registry registry) {
        this.records = records;
        this.registry = registry;
    }

    RoutingHandler addTo(RoutingHandler routes) {
        return routes.get("/api/v1/usage", blocking(this::usage))
                .get(FN + "/stats", blocking(this::stats));
    }

    /** Sums of one bucket and group, as the API shows them; unused group fields are left out. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record UsageView(
            Instant start,
            String service,
            String function,
            String key,
            long invocations,
            long errors,
            long billedMs,
            double gbSeconds,
            long fuel,
            long bytesIn,
            long bytesOut) {
        static UsageView of(
                Instant start, String service, String function, String key, UsageAmounts a) {
            return new UsageView(
                    start,
                    service,
                    function,
                    key,
                    a.invocations(),
                    a.errors(),
                    a.billedMs(),
                    a.gbSeconds(),
                    a.fuel(),
                    a.bytesIn(),
                    a.bytesOut());
        }

        static UsageView of(UsageRow r) {
            return of(r.start(), r.service(), r.function(), r.key(), r.amounts());
        }
    }

    record UsageAnswer(
            Instant from,
            Instant to,
            String granularity,
            String groupBy,
            List<UsageView> usage,
            UsageView totals) {}

    private void usage(HttpServerExchange ex) {
        Principal who = ex.getAttachment(AccessControl.PRINCIPAL);
        var granularity =
                choice(
                        ex,
                        "granularity",
                        UsageQuery.Granularity.class,
                        UsageQuery.Granularity.HOUR);
        var groupBy = choice(ex, "groupBy", UsageQuery.GroupBy.class, UsageQuery.GroupBy.FUNCTION);
        long unit = granularity.millis();
        Instant to = orNow(QueryParams.instant(ex, "to"));
        Instant from = QueryParams.instant(ex, "from");
        if (from == null) {
            from =
                    to.minus(
                            granularity == UsageQuery.Granularity.HOUR
                                    ? Duration.ofDays(1)
                                    : Duration.ofDays(30));
        }
        from = Instant.ofEpochMilli(Math.floorDiv(from.toEpochMilli(), unit) * unit);
        if (!to.isAfter(from)) {
            throw new KilnException(ErrorCode.BAD_REQUEST, "to must be after from");
        }
        if ((to.toEpochMilli() - from.toEpochMilli() + unit - 1) / unit > MAX_USAGE_BUCKETS) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST,
                    "at most "
                            + MAX_USAGE_BUCKETS
                            + " "
                            + granularity.wire()
                            + "s per answer: narrow from/to or use granularity=day");
        }
        var query =
                new UsageQuery(
                        from,
                        to,
                        granularity,
                        groupBy,
                        QueryParams.first(ex, "service"),
                        QueryParams.first(ex, "function"),
                        // An admin's key covers every service; others see their services only.
                        who.services()::covers);
        List<UsageRow> rows = records.usage(query);
        if (rows.size() > MAX_USAGE_ROWS) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST,
                    "more than "
                            + MAX_USAGE_ROWS
                            + " rows: narrow from/to, use granularity=day or groupBy=service");
        }
        UsageAmounts total =
                rows.stream().map(UsageRow::amounts).reduce(UsageAmounts.ZERO, UsageAmounts::plus);
        Responses.json(
                ex,
                200,
                new UsageAnswer(
                        from,
                        to,
                        granularity.wire(),
                        groupBy.wire(),
                        rows.stream().map(UsageView::of).toList(),
                        UsageView.of(null, null, null, null, total)));
    }

    record StatsAnswer(
            String service,
            String function,
            Instant from,
            Instant to,
            long stepSeconds,
            List<StatsPoint> points) {}

    private void stats(HttpServerExchange ex) {
        FunctionInfo f =
                registry.require(PathParams.get(ex, "service"), PathParams.get(ex, "function"));
        Duration step = step(QueryParams.first(ex, "step"));
        Instant to = orNow(QueryParams.instant(ex, "to"));
        Instant from = QueryParams.instant(ex, "from");
        if (from == null) {
            from = to.minus(Duration.ofHours(1));
        }
        long stepMs = step.toMillis();
        from = Instant.ofEpochMilli(Math.floorDiv(from.toEpochMilli(), stepMs) * stepMs);
        if (!to.isAfter(from)) {
            throw new KilnException(ErrorCode.BAD_REQUEST, "to must be after from");
        }
        if ((to.toEpochMilli() - from.toEpochMilli() + stepMs - 1) / stepMs
                > FunctionStats.MAX_POINTS) {
            throw new KilnException(
                    ErrorCode.BAD_REQUEST,
                    "at most "
                            + FunctionStats.MAX_POINTS
                            + " points per answer: use a longer step or narrow from/to");
        }
        List<StatsPoint> points = records.stats(f.service(), f.name(), from, to, step);
        Responses.json(
                ex,
                200,
                new StatsAnswer(f.service(), f.name(), from, to, step.toSeconds(), points));
    }

    /** {@code 60}, {@code 60s}, {@code 5m}, {@code 1h}, {@code 1d}: a whole number of minutes. */
    static Duration step(String text) {
        if (text == null) {
            return Duration.ofMinutes(1);
        }
        String message =
                "step must be a whole number of minutes, as seconds (60, 300) or 5m, 1h, 1d";
        if (text.isEmpty() || text.length() > 9) {
            throw new KilnException(ErrorCode.BAD_REQUEST, message);
        }
        char last = text.charAt(text.length() - 1);
        long unitSeconds =
                switch (last) {
                    case 's' -> 1;
                    case 'm' -> 60;
                    case 'h' -> 3600;
                    case 'd' -> 86_400;
                    default -> Character.isDigit(last) ? 1 : -1;
                };
        String digits = Character.isDigit(last) ? text : text.substring(0, text.length() - 1);
        if (unitSeconds < 0 || digits.isEmpty() || !digits.chars().allMatch(Character::isDigit)) {
            throw new KilnException(ErrorCode.BAD_REQUEST, message);
        }
        long seconds = Long.parseLong(digits) * unitSeconds;
        if (seconds < 60 || seconds % 60 != 0 || seconds > 366L * 86_400) {
            throw new KilnException(ErrorCode.BAD_REQUEST, message);
        }
        return Duration.ofSeconds(seconds);
    }

    private static Instant orNow(Instant t) {
        return t != null ? t : Instant.now();
    }

    private static <E extends Enum<E>> E choice(
            HttpServerExchange ex, String name, Class<E> type, E dflt) {
        String v = QueryParams.first(ex, name);
        if (v == null) {
            return dflt;
        }
        for (E e : type.getEnumConstants()) {
            if (e.name().toLowerCase(Locale.ROOT).equals(v)) {
                return e;
            }
        }
        throw new KilnException(
                ErrorCode.BAD_REQUEST,
                name
                        + " must be one of "
                        + String.join(
                                ", ",
                                java.util.Arrays.stream(type.getEnumConstants())
                                        .map(e -> e.name().toLowerCase(Locale.ROOT))
                                        .toList()));
    }

    /** Runs {@code handler} on a worker thread: usage and statistics read storage. */
    private static HttpHandler blocking(HttpHandler handler) {
        return exchange -> ErrorBoundary.dispatch(exchange, () -> handler.handleRequest(exchange));
    }
}
