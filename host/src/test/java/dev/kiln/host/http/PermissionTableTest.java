package dev.kiln.host.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.host.access.PermissionTable;
import dev.kiln.host.testing.TestHost;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The router's route list and the permission table are the same set of routes. */
class PermissionTableTest {
    @TempDir Path data;

    @Test
    void everyRegisteredRouteHasAnEntryAndEveryEntryARoute() {
        try (TestHost kiln = TestHost.start(data)) {
            Set<String> routes = new HashSet<>(kiln.host().routes());
            Set<String> entries = PermissionTable.entries().keySet();
            assertThat(routes).as("routes without a PermissionTable entry").isSubsetOf(entries);
            assertThat(entries).as("PermissionTable entries without a route").isSubsetOf(routes);
            assertThat(routes).contains("POST /api/v1/keys", "GET /metrics", "GET /api/v1/audit");
        }
    }

    @Test
    void aRouteWithoutAnEntryCannotBeRegistered() {
        var routes = new GuardedRoutes();
        assertThatThrownBy(() -> routes.put("/api/v1/services/{service}/unlisted", ex -> {}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("PUT /api/v1/services/{service}/unlisted")
                .hasMessageContaining("PermissionTable");
        assertThatThrownBy(() -> routes.add("GET", "/api/v1/nowhere", ex -> {}))
                .isInstanceOf(IllegalStateException.class);
        assertThat(routes.routes()).isEmpty();
    }
}
