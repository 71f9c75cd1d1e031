package dev.kiln.perf.peers;

import java.net.URI;
import java.util.List;

/**
 * One thing to measure: a URL on a running peer and the request to send it. Every target gets the
 * same body and must answer it with that body (an echo), so all do the same work.
 *
 * @param id short stable name used in files and ratios, e.g. {@code kiln-http}
 * @param label what a reader of the table should understand
 * @param headers extra request headers, {@code "Name: value"}
 */
public record Target(String id, String label, URI url, List<String> headers) {
    public Target {
        headers = List.copyOf(headers);
    }
}
