package dev.kiln.host.http;

import static dev.kiln.host.testing.TestHost.errorCode;
import static dev.kiln.host.testing.TestHost.json;
import static dev.kiln.host.testing.TestHost.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.host.testing.TestHost;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys are accepted in the Authorization header only; a key in a URL is refused unlogged. */
class KeysInUrlsTest {
    @TempDir Path data;

    @Test
    void aKeyInTheQueryIsRefusedEvenWithAValidHeaderAndNeverRecorded() {
        try (TestHost kiln = TestHost.start(data)) {
            String key = kiln.createKey("k", "admin", null);
            for (String query :
                    List.of(
                            "token=" + key,
                            "access_token=whatever",
                            "api_key=x",
                            "limit=10&x=" + key,
                            "q=Bearer%20abc")) {
                var r =
                        kiln.send(
                                kiln.admin("/api/v1/keys?" + query)
                                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                        .build());
                assertThat(r.statusCode()).as(query).isEqualTo(400);
                assertThat(errorCode(r)).isEqualTo("bad_request");
                assertThat(text(r)).contains("Authorization").doesNotContain(key);
            }
            // Without a header, a key in the URL is not a key.
            var noHeader = kiln.send(kiln.request("/api/v1/services?limit=1").build());
            assertThat(noHeader.statusCode()).isEqualTo(401);
            var audit = kiln.get("/api/v1/audit");
            assertThat(json(audit).path("entries").size()).isGreaterThanOrEqualTo(5);
            assertThat(text(audit)).doesNotContain(key).doesNotContain("token=");
        }
    }
}
