package dev.kiln.host.invoke;

import dev.kiln.abi.HttpRequestMeta;
import dev.kiln.abi.InvocationContext;
import dev.kiln.abi.KvBucket;
import dev.kiln.host.core.FunctionName;
import dev.kiln.host.core.Sha256;
import dev.kiln.host.core.TempDirectory;
import dev.kiln.host.observability.Metrics;
import dev.kiln.host.pool.InstancePool;
import dev.kiln.host.pool.Isolation;
import dev.kiln.host.pool.PoolLimits;
import dev.kiln.host.pool.PoolSpec;
import dev.kiln.host.pool.VersionKey;
import dev.kiln.host.registry.FunctionSettings;
import dev.kiln.host.sandbox.InvocationLimits;
import dev.kiln.host.sandbox.ModuleCompiler;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.sandbox.ResetStrategy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a built-in echo through compilation, the pool, the guest call and the reset a few thousand
 * times at start, before the server takes requests, so that the first invocation users send does
 * not pay for loading those classes and for the JIT (issue 21 item 6): after a restart, a
 * function's first invocation took ~20 ms against ~4 ms for a second function's first. It runs in a
 * pool of its own, thrown away after; nothing is recorded or counted as an invocation.
 */
public final class StartWarmup {
    private static final Logger log = LoggerFactory.getLogger(StartWarmup.class);
    // Enough calls for the JIT's first tier to compile the guest call and the reset path.
    private static final int INVOCATIONS = 3000;
    // Not a name a user's function can have (FunctionName.NAME), should it ever show up.
    private static final FunctionName NAME = new FunctionName("-kiln", "-warmup");

    /**
     * perf/src/main/resources/peers/echo.wat ({@code kiln_alloc} bumps from 1024, {@code
     * kiln_handle} answers its input) with a custom section {@code kiln-warmup}.
     */
    static final byte[] ECHO =
            Base64.getDecoder()
                    .decode(
                            "AGFzbQEAAAABDAJgAX8Bf2ACf38BfgMDAgABBQMBAAEGBwF/AUGACAsHJQMGbWVtb3J5AgAK"
                                + "a2lsbl9hbGxvYwAAC2tpbG5faGFuZGxlAAEKPQIpAQF/IwAhASMAIABqJAAj"
                                + "AD8AQYCABGxLBEAgAEEQdkEBakAAGgsgAQsRAEGACCQAIACtQiCGIAGthAsA"
                                + "DAtraWxuLXdhcm11cA==");

    private StartWarmup() {}

    /** The built-in echo's bytes (a copy), for other warm-ups that need a module to run. */
    public static byte[] echoModule() {
        return ECHO.clone();
    }

    /**
     * Warms the path before the host takes requests; a failure is logged, never fatal (only the
     * first invocations' speed depends on it).
     *
     * @param resetStrategy the host's, so that the reset the host will run is the one warmed
     * @return whether the path was warmed
     */
    public static boolean run(
            ResetStrategy resetStrategy, ModuleLimits moduleLimits, InvocationLimits limits) {
        long start = System.nanoTime();
        try {
            inPoolOfItsOwn(resetStrategy, moduleLimits, limits);
            log.info(
                    "warmed the invocation path in {} ms", (System.nanoTime() - start) / 1_000_000);
            return true;
        } catch (IOException | RuntimeException e) {
            log.warn("warming the invocation path failed: {}", e.toString());
            return false;
        }
    }

    // A pool, metrics and code cache of its own, thrown away after: the host's hold nothing of
    // it, count nothing of it, and its memory budget is never touched.
    private static void inPoolOfItsOwn(
            ResetStrategy resetStrategy, ModuleLimits moduleLimits, InvocationLimits limits)
            throws IOException {
        try (TempDirectory cache = TempDirectory.create("kiln-warmup")) {
            InstancePool pool =
                    new InstancePool(
                            new ModuleCompiler(cache.path(), resetStrategy),
                            PoolLimits.DEFAULTS,
                            new Metrics());
            try {
                invokeEcho(pool, moduleLimits, limits);
            } finally {
                pool.shutdown();
            }
        }
    }

    private static void invokeEcho(
            InstancePool pool, ModuleLimits moduleLimits, InvocationLimits limits) {
        String sha = Sha256.hex(ECHO);
        PoolSpec spec =
                new PoolSpec(
                        NAME,
                        VersionKey.of(sha, FunctionSettings.DEFAULTS, moduleLimits),
                        Isolation.FRESH,
                        0,
                        1);
        byte[] payload = "warm-up".getBytes(StandardCharsets.UTF_8);
        var http = new HttpRequestMeta("POST", "/", "", List.of(), "HTTP/1.1", "127.0.0.1");
        for (int i = 0; i < INVOCATIONS; i++) {
            var context =
                    new InvocationContext(
                            "00000000000000000000WARMUP",
                            NAME.service(),
                            NAME.function(),
                            sha,
                            "http",
                            System.currentTimeMillis() + 1000,
                            http,
                            Map.of(),
                            KvBucket.NONE);
            InstancePool.Lease lease = pool.acquire(spec, () -> ECHO);
            try {
                lease.instance().invoke(context, payload, limits, 1_000_000);
            } finally {
                pool.release(lease);
            }
        }
    }
}
