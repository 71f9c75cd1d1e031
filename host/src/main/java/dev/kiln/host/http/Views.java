package dev.kiln.host.http;

import dev.kiln.abi.EffectLimits;
import dev.kiln.abi.GuestLogLine;
import dev.kiln.abi.HostCalls;
import dev.kiln.host.access.AccessLimits;
import dev.kiln.host.access.ApiKeys;
import dev.kiln.host.config.HttpLimits;
import dev.kiln.host.config.KilnConfig;
import dev.kiln.host.deploy.SettingsLimits;
import dev.kiln.host.deploy.UploadLimits;
import dev.kiln.host.events.EventLimits;
import dev.kiln.host.observability.InvocationRecord;
import dev.kiln.host.quota.ServiceQuota;
import dev.kiln.host.registry.FunctionInfo;
import dev.kiln.host.registry.FunctionSettings;
import dev.kiln.host.registry.Registry;
import dev.kiln.host.registry.VersionInfo;
import dev.kiln.host.sandbox.ModuleLimits;
import dev.kiln.host.secrets.Secrets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The JSON shapes of the management API. Field names are part of the public contract. */
final class Views {
    private Views() {}

    record Version(int number, String sha256, long sizeBytes, String createdAt) {
        static Version of(VersionInfo v) {
            return new Version(v.number(), v.sha256(), v.sizeBytes(), iso(v.createdAt()));
        }
    }

    /** A secret as the API shows it: never its value (docs/adr/0034). */
    record Secret(String name, String setAt) {
        static List<Secret> of(List<Secrets.SecretInfo> infos) {
            return infos.stream().map(i -> new Secret(i.name(), iso(i.setAt()))).toList();
        }
    }

    record Function(
            String service,
            String name,
            Version version,
            FunctionSettings settings,
            String createdAt,
            String updatedAt,
            Map<String, String> urls,
            List<Secret> secrets) {
        static Function of(FunctionInfo f) {
            return of(f, List.of());
        }

        static Function of(FunctionInfo f, List<Secrets.SecretInfo> secrets) {
            String base = "/api/v1/services/" + f.service() + "/functions/" + f.name();
            return new Function(
                    f.service(),
                    f.name(),
                    Version.of(f.latest()),
                    f.settings(),
                    iso(f.createdAt()),
                    iso(f.updatedAt()),
                    Map.of(
                            "invoke", base + "/invoke",
                            "http", "/fn/" + f.service() + "/" + f.name() + "/",
                            "invocations", base + "/invocations",
                            "logs", base + "/logs"),
                    Secret.of(secrets));
        }
    }

    record LogLine(String time, String level, String message, String requestId) {
        static LogLine of(GuestLogLine l, String requestId) {
            return new LogLine(
                    iso(Instant.ofEpochMilli(l.epochMillis())),
                    l.level().name().toLowerCase(Locale.ROOT),
                    l.message(),
                    requestId);
        }
    }

    record Invocation(
            String requestId,
            String service,
            String function,
            int version,
            String versionSha256,
            String trigger,
            String startedAt,
            long durationUs,
            String outcome,
            int status,
            long bytesIn,
            long bytesOut,
            long fuel,
            String start,
            String error,
            List<LogLine> logs,
            int logCount,
            boolean logTruncated,
            int attempt,
            String traceId,
            String node) {
        /** One invocation with its log lines, each carrying the invocation's request id. */
        static Invocation of(InvocationRecord r) {
            return of(r, r.logs().size());
        }

        /** An invocation of a list: its lines are not read, only counted ({@code logs} empty). */
        static Invocation of(InvocationRecord r, int logCount) {
            return new Invocation(
                    r.requestId(),
                    r.service(),
                    r.function(),
                    r.version(),
                    r.versionSha256(),
                    r.trigger(),
                    iso(r.startedAt()),
                    r.durationMicros(),
                    r.outcome(),
                    r.httpStatus(),
                    r.bytesIn(),
                    r.bytesOut(),
                    r.fuel(),
                    r.startKind(),
                    r.errorMessage(),
                    r.logs().stream().map(l -> LogLine.of(l, r.requestId())).toList(),
                    logCount,
                    r.logTruncated(),
                    r.attempt(),
                    r.traceId(),
                    r.node());
        }
    }

    /**
     * {@code GET /api/v1/limits}: every limit a client can run into, so tools (the conformance
     * runner first) can aim at a cap and one byte over it without knowing the host's settings.
     */
    record Limits(
            long maxUploadBytes,
            long maxPayloadBytes,
            long maxResponseBytes,
            long maxPatchBytes,
            long maxTimeoutMs,
            int maxMemoryMiB,
            long fuelPerMs,
            long maxFuel,
            int workerThreads,
            int workerQueue,
            long workerStackBytes,
            int recordsPerFunction,
            long recordMaxAgeSeconds,
            int maxPageSize,
            int maxKeyBytes,
            EffectLimits effects,
            ModuleLimits module,
            SettingsLimits settings,
            EventLimitsView events,
            PoolLimitsView pools,
            UploadLimitsView uploads,
            long minFreeDiskMiB,
            HttpLimitsView http,
            AccessLimitsView access,
            TenancyLimitsView tenancy,
            RouteLimitsView routes,
            ReleaseLimitsView releases,
            KvLimitsView kv,
            ReplayLimitsView replay,
            MeteringLimitsView metering,
            OutboundLimitsView outbound) {
        static Limits of(KilnConfig c) {
            return new Limits(
                    c.maxUploadBytes(),
                    c.maxPayloadBytes(),
                    c.maxResponseBytes(),
                    ManagementApi.MAX_PATCH_BYTES,
                    c.maxTimeout().toMillis(),
                    c.maxMemoryMiB(),
                    c.fuelPerMs(),
                    c.maxFuel(),
                    c.workerThreads(),
                    c.workerQueue(),
                    c.workerStackBytes(),
                    c.recordsPerFunction(),
                    c.recordMaxAge().toSeconds(),
                    ManagementApi.MAX_PAGE,
                    HostCalls.MAX_KEY_BYTES,
                    c.effectLimits(),
                    c.moduleLimits(),
                    SettingsLimits.FIXED,
                    EventLimitsView.of(c.eventLimits()),
                    PoolLimitsView.of(c),
                    UploadLimitsView.of(c.uploadLimits()),
                    c.minFreeDiskMiB(),
                    HttpLimitsView.of(c.httpLimits()),
                    AccessLimitsView.of(c.accessLimits()),
                    TenancyLimitsView.of(c),
                    RouteLimitsView.of(c),
                    ReleaseLimitsView.of(c),
                    KvLimitsView.of(c),
                    ReplayLimitsView.of(c),
                    MeteringLimitsView.of(c),
                    OutboundLimitsView.of(c));
        }
    }

    /**
     * Recording and replay (docs/adr/0041).
     *
     * @param recordingsPerFunction recordings kept per function, the oldest dropped first
     * @param maxRecordingBytes largest recording kept
     * @param maxConcurrentReplays replays running at once on this host; more get {@code overloaded}
     */
    record ReplayLimitsView(
            int recordingsPerFunction, int maxRecordingBytes, int maxConcurrentReplays) {
        static ReplayLimitsView of(KilnConfig c) {
            return new ReplayLimitsView(
                    c.recordingsPerFunction(),
                    c.maxRecordingBytes(),
                    dev.kiln.host.invoke.ReplayRunner.MAX_CONCURRENT);
        }
    }

    /**
     * Statistics, usage and log following (docs/adr/0043): retention and followers configured, the
     * rest fixed.
     */
    record MeteringLimitsView(
            long statsRetentionSeconds,
            long usageRetentionSeconds,
            int maxLogFollowers,
            long logHeartbeatMs,
            int logFollowMaxPending,
            int maxStatsPoints,
            int maxOpenStatsWindows,
            int maxUsageBuckets,
            int maxUsageRows) {
        static MeteringLimitsView of(KilnConfig c) {
            var o = c.observability();
            return new MeteringLimitsView(
                    o.statsRetention().toSeconds(),
                    o.usageRetention().toSeconds(),
                    o.maxLogFollowers(),
                    o.logHeartbeat().toMillis(),
                    LogFollow.MAX_PENDING,
                    dev.kiln.host.observability.FunctionStats.MAX_POINTS,
                    dev.kiln.host.observability.FunctionStats.MAX_OPEN_WINDOWS,
                    MeteringApi.MAX_USAGE_BUCKETS,
                    MeteringApi.MAX_USAGE_ROWS);
        }
    }

    /**
     * Outbound HTTP limits (docs/adr/0040): per invocation configured, the guest-contract caps
     * fixed, and the connection pool's sizes.
     */
    record OutboundLimitsView(
            int maxRequestsPerInvocation,
            int maxRequestBodyBytes,
            long maxResponseBytesPerInvocation,
            long callTimeoutMs,
            int maxUrlBytes,
            int maxRequestHeaders,
            int maxRequestHeaderBytes,
            int maxResponseHeaders,
            int maxResponseHeaderBytes,
            int maxAllowedHostsEntries,
            int maxIdleConnections,
            long idleConnectionTtlMs) {
        static OutboundLimitsView of(KilnConfig c) {
            dev.kiln.abi.OutboundLimits l = c.outboundLimits();
            return new OutboundLimitsView(
                    l.maxRequestsPerInvocation(),
                    l.maxRequestBodyBytes(),
                    l.maxResponseBytesPerInvocation(),
                    l.callTimeoutMillis(),
                    dev.kiln.abi.OutboundLimits.MAX_URL_BYTES,
                    dev.kiln.abi.OutboundLimits.MAX_REQUEST_HEADERS,
                    dev.kiln.abi.OutboundLimits.MAX_REQUEST_HEADER_BYTES,
                    dev.kiln.abi.OutboundLimits.MAX_RESPONSE_HEADERS,
                    dev.kiln.abi.OutboundLimits.MAX_RESPONSE_HEADER_BYTES,
                    dev.kiln.host.outbound.AllowedHosts.MAX_ENTRIES,
                    dev.kiln.host.outbound.Outbound.MAX_IDLE_CONNECTIONS,
                    dev.kiln.host.outbound.Outbound.IDLE_TTL_MILLIS);
        }
    }

    /** Key-value store limits (docs/adr/0039): per service configured, key and value fixed. */
    record KvLimitsView(
            int maxKeysPerService,
            long maxBytesPerService,
            int maxKeyBytes,
            int maxValueBytes,
            int listPageKeys,
            int maxListLimit) {
        static KvLimitsView of(KilnConfig c) {
            return new KvLimitsView(
                    c.kvLimits().maxKeysPerService(),
                    c.kvLimits().maxBytesPerService(),
                    dev.kiln.abi.KvBucket.MAX_KEY_BYTES,
                    dev.kiln.abi.KvBucket.MAX_VALUE_BYTES,
                    dev.kiln.abi.KvBucket.LIST_PAGE_KEYS,
                    KvApi.MAX_PAGE);
        }
    }

    /** Custom-domain routes' limits (docs/adr/0038): the count is configured, the rest fixed. */
    record RouteLimitsView(
            int maxRoutes, int maxHostLength, int maxPathPrefixLength, int maxBodyBytes) {
        static RouteLimitsView of(KilnConfig c) {
            return new RouteLimitsView(
                    c.maxRoutes(),
                    dev.kiln.host.routes.HostPattern.MAX_LENGTH,
                    dev.kiln.host.routes.PathPrefix.MAX_LENGTH,
                    RoutesApi.MAX_BODY_BYTES);
        }
    }

    /**
     * Versions and aliases (docs/adr/0037).
     *
     * @param keepVersions versions kept per function, 0 = all
     * @param maxAliasesPerFunction aliases one function may have
     * @param maxAliasBodyBytes largest alias document
     */
    record ReleaseLimitsView(int keepVersions, int maxAliasesPerFunction, int maxAliasBodyBytes) {
        static ReleaseLimitsView of(KilnConfig c) {
            return new ReleaseLimitsView(
                    c.keepVersions(),
                    Registry.MAX_ALIASES_PER_FUNCTION,
                    ReleasesApi.MAX_BODY_BYTES);
        }
    }

    /** {@link AccessLimits} with durations as numbers (docs/adr/0033). */
    record AccessLimitsView(
            int authFailuresPerIp,
            long authFailureWindowMs,
            int maxKeys,
            int auditMaxEntries,
            long auditMaxAgeSeconds) {
        static AccessLimitsView of(AccessLimits l) {
            return new AccessLimitsView(
                    l.authFailuresPerIp(),
                    l.authFailureWindow().toMillis(),
                    l.maxKeys(),
                    l.auditMaxEntries(),
                    l.auditMaxAge().toSeconds());
        }
    }

    /** An API key as listed and created; the secret only ever in {@link CreatedKey}. */
    record Key(
            String id,
            String name,
            String role,
            List<String> services,
            String createdAt,
            boolean builtin) {
        static Key of(ApiKeys.StoredKey k) {
            return new Key(
                    k.id(),
                    k.name(),
                    k.role().wire(),
                    k.services().texts(),
                    iso(k.createdAt()),
                    ApiKeys.ADMIN_TOKEN_ID.equals(k.id()));
        }
    }

    /** {@code POST /api/v1/keys}: the key with its secret, shown this once. */
    record CreatedKey(
            String id,
            String name,
            String role,
            List<String> services,
            String createdAt,
            String key) {
        static CreatedKey of(ApiKeys.Created c) {
            var k = c.key();
            return new CreatedKey(
                    k.id(),
                    k.name(),
                    k.role().wire(),
                    k.services().texts(),
                    iso(k.createdAt()),
                    c.secret());
        }
    }

    /**
     * Secrets, quotas and the HTTP trigger's per-client rate (docs/adr/0034).
     *
     * @param triggerRatePerIp requests per second per client address on {@code /fn/...}, 0 = none
     * @param maxTrackedClients client addresses tracked at once before new ones share one bucket
     * @param quotaMaxima the largest value of each quota field
     */
    record TenancyLimitsView(
            int triggerRatePerIp,
            int maxTrackedClients,
            int maxSecretsPerFunction,
            int maxSecretValueBytes,
            int maxQuotaBodyBytes,
            Map<String, Integer> quotaMaxima,
            boolean tls) {
        static TenancyLimitsView of(KilnConfig c) {
            return new TenancyLimitsView(
                    c.triggerRatePerIp(),
                    HttpTriggerHandler.MAX_TRACKED_CLIENTS,
                    Secrets.MAX_SECRETS_PER_FUNCTION,
                    Secrets.MAX_VALUE_BYTES,
                    QuotaApi.MAX_JSON_BYTES,
                    ServiceQuota.MAXIMA,
                    c.tls() != null);
        }
    }

    /** {@link UploadLimits} with the timeout as a number (docs/adr/0029). */
    record UploadLimitsView(int maxConcurrentUploads, int uploadQueue, long uploadTimeoutMs) {
        static UploadLimitsView of(UploadLimits l) {
            return new UploadLimitsView(
                    l.maxConcurrentUploads(), l.uploadQueue(), l.uploadTimeout().toMillis());
        }
    }

    /**
     * {@link HttpLimits} with durations as milliseconds (docs/adr/0025-request-intake-limits.md).
     */
    record HttpLimitsView(
            long maxBufferedRequestBytes,
            int maxConnections,
            int maxConnectionsPerIp,
            long requestParseTimeoutMs,
            long noRequestTimeoutMs,
            long bodyReadTimeoutMs,
            long idleTimeoutMs) {
        static HttpLimitsView of(HttpLimits l) {
            return new HttpLimitsView(
                    l.maxBufferedRequestBytes(),
                    l.maxConnections(),
                    l.maxConnectionsPerIp(),
                    l.requestParseTimeout().toMillis(),
                    l.noRequestTimeout().toMillis(),
                    l.bodyReadTimeout().toMillis(),
                    l.idleTimeout().toMillis());
        }
    }

    /**
     * Instances and queueing (docs/adr/0009-instance-pools.md).
     *
     * @param minInstancesBudget what the minimum instances of all functions may add up to
     * @param memoryBudgetBytes the host-wide memory budget (docs/adr/0028)
     */
    record PoolLimitsView(
            int maxInstances,
            int minInstancesBudget,
            long instanceIdleTtlMs,
            long queueWaitMs,
            int functionQueue,
            String compileAt,
            long memoryBudgetBytes) {
        static PoolLimitsView of(KilnConfig c) {
            return new PoolLimitsView(
                    c.maxInstances(),
                    c.minInstancesBudget(),
                    c.instanceIdleTtl().toMillis(),
                    c.queueWait().toMillis(),
                    c.functionQueue(),
                    c.compileAt().name(),
                    c.memoryBudgetBytes());
        }
    }

    /** {@link EventLimits} with durations as numbers. */
    record EventLimitsView(
            int maxEventBytes,
            int maxQueuedEvents,
            int asyncWorkers,
            int defaultMaxAttempts,
            int maxAttemptsCap,
            long defaultMaxEventAgeSeconds,
            long maxEventAgeCapSeconds,
            long retryBaseDelayMs,
            long retryMaxDelayMs,
            long throttleDelayMs,
            int maxTriggersPerFunction,
            int maxSubscribersPerTopic) {
        static EventLimitsView of(EventLimits l) {
            return new EventLimitsView(
                    l.maxEventBytes(),
                    l.maxQueuedEvents(),
                    l.asyncWorkers(),
                    l.defaultMaxAttempts(),
                    l.maxAttemptsCap(),
                    l.defaultMaxEventAge().toSeconds(),
                    l.maxEventAgeCap().toSeconds(),
                    l.retryBaseDelay().toMillis(),
                    l.retryMaxDelay().toMillis(),
                    l.throttleDelay().toMillis(),
                    l.maxTriggersPerFunction(),
                    l.maxSubscribersPerTopic());
        }
    }

    static String iso(Instant t) {
        return t == null ? null : t.toString();
    }
}
