package dev.kiln.host.access;

import java.util.List;

/** The services a key reaches: any of its patterns matches. */
public record ServiceScope(List<ServicePattern> patterns) {
    public static final ServiceScope ALL = new ServiceScope(List.of(ServicePattern.ALL));

    public ServiceScope {
        patterns = List.copyOf(patterns);
        if (patterns.isEmpty()) {
            throw new IllegalArgumentException("a scope needs at least one pattern");
        }
    }

    public boolean coversAll() {
        return patterns.stream().anyMatch(ServicePattern::matchesAll);
    }

    public boolean covers(String service) {
        for (ServicePattern p : patterns) {
            if (p.matches(service)) {
                return true;
            }
        }
        return false;
    }

    public List<String> texts() {
        return patterns.stream().map(ServicePattern::text).toList();
    }
}
