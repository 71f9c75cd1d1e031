package dev.kiln.host.outbound;

import dev.kiln.host.core.ErrorCode;
import dev.kiln.host.core.KilnException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A function's {@code allowedOutboundHosts}: the entries a request's URL must match. Empty (the
 * default) allows nothing.
 */
public record AllowedHosts(List<AllowedHost> entries) {
    /** Most entries one function may list. */
    public static final int MAX_ENTRIES = 32;

    public static final AllowedHosts NONE = new AllowedHosts(List.of());

    public AllowedHosts {
        entries = List.copyOf(entries);
    }

    /**
     * Reads a function's setting.
     *
     * @throws KilnException {@code invalid_outbound_host} for too many entries or a bad one
     */
    public static AllowedHosts parse(List<String> texts) {
        if (texts.isEmpty()) {
            return NONE;
        }
        if (texts.size() > MAX_ENTRIES) {
            throw new KilnException(
                    ErrorCode.INVALID_OUTBOUND_HOST,
                    "allowedOutboundHosts has more than " + MAX_ENTRIES + " entries");
        }
        List<AllowedHost> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            out.add(AllowedHost.parse(t));
        }
        return new AllowedHosts(out);
    }

    /**
     * The entry that allows a request to {@code url}: one naming its host literally if there is
     * such an entry (it allows a non-public address), else any matching one; empty when none does.
     */
    public Optional<AllowedHost> match(OutboundUrl url) {
        AllowedHost found = null;
        for (AllowedHost e : entries) {
            if (e.matches(url)) {
                if (e.literal()) {
                    return Optional.of(e);
                }
                if (found == null) {
                    found = e;
                }
            }
        }
        return Optional.ofNullable(found);
    }
}
