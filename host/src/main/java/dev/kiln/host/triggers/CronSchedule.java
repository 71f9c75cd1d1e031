package dev.kiln.host.triggers;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * A cron expression in a time zone, parsed by cron-utils: five fields (Unix: minute hour
 * day-of-month month day-of-week) or six (Spring: a seconds field first).
 */
record CronSchedule(String expression, ZoneId zone, ExecutionTime times) {
    private static final CronParser UNIX =
            new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final CronParser WITH_SECONDS =
            new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING));
    static final int MAX_EXPRESSION = 256;

    /**
     * @throws KilnException {@code bad_request} for a malformed expression or an unknown zone
     */
    static CronSchedule parse(String expression, String zoneId) {
        if (expression == null || expression.isBlank() || expression.length() > MAX_EXPRESSION) {
            throw bad(
                    "'cron' must be a cron expression of at most "
                            + MAX_EXPRESSION
                            + " characters");
        }
        String trimmed = expression.trim();
        int fields = trimmed.split("\\s+").length;
        if (fields != 5 && fields != 6) {
            throw bad(
                    "'cron' must have 5 fields (minute hour day month weekday) or 6 (seconds"
                            + " first), not "
                            + fields);
        }
        ZoneId zone;
        try {
            zone = ZoneId.of(zoneId == null ? "UTC" : zoneId);
        } catch (DateTimeException e) {
            throw bad("'timezone' is not a known time zone");
        }
        try {
            var cron = (fields == 5 ? UNIX : WITH_SECONDS).parse(trimmed).validate();
            return new CronSchedule(trimmed, zone, ExecutionTime.forCron(cron));
        } catch (IllegalArgumentException e) {
            String why = e.getMessage() == null ? "" : e.getMessage();
            throw bad(
                    "'cron' is not a valid cron expression: "
                            + (why.length() > 200 ? why.substring(0, 200) : why));
        }
    }

    /** The first fire strictly after {@code t}. */
    Optional<Instant> nextAfter(Instant t) {
        return times.nextExecution(at(t.truncatedTo(ChronoUnit.SECONDS)))
                .map(ZonedDateTime::toInstant);
    }

    /** The last fire at or before {@code t}. */
    Optional<Instant> latestAtOrBefore(Instant t) {
        return times.lastExecution(at(t.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1)))
                .map(ZonedDateTime::toInstant);
    }

    private ZonedDateTime at(Instant t) {
        return ZonedDateTime.ofInstant(t, zone);
    }

    private static KilnException bad(String message) {
        return new KilnException(ErrorCode.BAD_REQUEST, message);
    }
}
