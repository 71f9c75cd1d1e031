package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.client.KilnClient;
import dev.kiln.client.KilnException;
import dev.kiln.client.LogStream;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.SequencedSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Follows a function's log lines until stopped: the host's event stream ({@code GET
 * …/logs?follow=true}, {@code text/event-stream}) when it has one, else polling {@code GET …/logs}
 * (docs/adr/0044). Polling prints the lines of invocations it has not seen: an invocation's lines
 * are stored together with its record, so a request id seen once is complete.
 */
final class LogTail {
    private static final int POLL_LINES = 200;
    private static final int REMEMBERED_REQUESTS = 10_000;

    private final KilnClient client;
    private final FunctionRef fn;
    private final Consumer<JsonNode> sink;
    private final Duration pollInterval;
    private final java.io.PrintWriter err;
    private volatile LogStream stream;
    private volatile boolean stopped;

    LogTail(
            KilnClient client,
            FunctionRef fn,
            Consumer<JsonNode> sink,
            Duration pollInterval,
            java.io.PrintWriter err) {
        this.err = err;
        this.client = client;
        this.fn = fn;
        this.sink = sink;
        this.pollInterval = pollInterval;
    }

    /** Runs until {@link #stop()}, an interrupt or the host closing the stream. */
    void run() throws InterruptedException {
        LogStream s;
        try {
            s = client.followLogs(fn.service(), fn.function());
        } catch (KilnException e) {
            if (!e.code().equals("bad_request")
                    && !e.code().equals("bad_answer")
                    && !e.code().equals("invalid_request")) {
                throw e;
            }
            err.printf(
                    "(this host streams no logs; polling every %d ms)%n", pollInterval.toMillis());
            err.flush();
            poll();
            return;
        }
        stream = s;
        try (s) {
            if (stopped) {
                return;
            }
            for (JsonNode line; (line = s.next()) != null; ) {
                sink.accept(line);
            }
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    private void poll() throws InterruptedException {
        SequencedSet<String> seen = new LinkedHashSet<>();
        while (!stopped) {
            JsonNode lines = client.getLogs(fn.service(), fn.function(), POLL_LINES);
            Set<String> now = new LinkedHashSet<>();
            for (JsonNode line : lines) {
                String id = line.path("requestId").asText("");
                if (!seen.contains(id)) {
                    now.add(id);
                    sink.accept(line);
                }
            }
            seen.addAll(now);
            while (seen.size() > REMEMBERED_REQUESTS) {
                seen.removeFirst();
            }
            Thread.sleep(pollInterval.toMillis());
        }
    }

    /** Ends {@link #run()} from another thread. */
    void stop() {
        stopped = true;
        LogStream s = stream;
        if (s != null) {
            s.close();
        }
    }
}
