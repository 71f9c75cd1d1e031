package dev.kiln.host.cli;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The warm-up's requests never wait for good: a server that takes the connection and never answers
 * ends them with a timeout, so {@code kiln serve} starts anyway (docs/adr/0083).
 */
class CurlShapedRequestsTest {
    @Test
    // In a thread of its own: a socket read does not answer an interrupt, so without the
    // requests' timeout this fails here instead of hanging the build.
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aServerThatNeverAnswersEndsTheRequestsWithATimeout() throws Exception {
        // Never accepted: the kernel completes the connection and takes the request, and no
        // answer comes.
        try (ServerSocket silent = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            var requests =
                    new CurlShapedRequests(silent.getLocalPort(), "t", Duration.ofMillis(200));
            assertThatThrownBy(() -> requests.send("s", 1))
                    .isInstanceOf(SocketTimeoutException.class);
        }
    }
}
