// Types of kiln-client.mjs (hand-written; the API's shapes are in GET /api/v1/openapi.json).

export declare const VERSION: string;

/** Anything JSON: the API's answers are typed loosely where the OpenAPI document is the reference. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** An error answer of Kiln ({"error":{"code","message","requestId"}}) and its HTTP status. */
export declare class KilnError extends Error {
  constructor(code: string, message: string, requestId?: string | null, status?: number, retryAfter?: number | null);
  readonly name: 'KilnError';
  /** Stable snake_case code: function_not_found, guest_trap, rate_limited, ...; connection_failed when Kiln was not reached. */
  readonly code: string;
  /** The API's message alone. */
  readonly apiMessage: string;
  readonly requestId: string | null;
  /** The HTTP status (0 when Kiln was not reached). */
  readonly status: number;
  /** Seconds Kiln asked to wait (429, 503), else null. */
  readonly retryAfter: number | null;
}

export interface ClientOptions {
  /** Default: $KILN_ENDPOINT, else http://127.0.0.1:8080. */
  endpoint?: string;
  /** The admin token or an API key. Default: $KILN_TOKEN. */
  token?: string;
  /** Per HTTP request. Default 60 000. */
  timeoutMs?: number;
  /** Retries of 429/503 answers (and failed connections of GET/PUT/DELETE). Default 3; 0 turns them off. */
  maxRetries?: number;
  /** The longest single wait; a longer Retry-After is not waited for. Default 20 000. */
  maxRetryWaitMs?: number;
  /** The first wait without Retry-After, doubled per retry, with full jitter. Default 200. */
  backoffMs?: number;
}

/** Settings of a function (Kiln's names), and Function Compute-style aliases. */
export interface FunctionSettings {
  handler?: string;
  /** Seconds (Function Compute's unit). */
  timeout?: number;
  timeoutMs?: number;
  memorySize?: number;
  memoryMiB?: number;
  env?: Record<string, string>;
  environmentVariables?: Record<string, string>;
  description?: string;
  runtime?: 'kiln' | 'wasi-cgi';
  abi?: 'kiln' | 'wasi-cgi';
  fuel?: number | null;
  maxConcurrency?: number;
  isolation?: 'fresh' | 'reuse';
  minInstances?: number;
  maxInstances?: number;
  httpAuth?: 'anonymous' | 'key';
  /** Where the guest's http_send may go, Spin's shape: ["https://api.example.com", "https://*.example.net:8443"]. */
  allowedOutboundHosts?: string[];
  [setting: string]: unknown;
}

export interface SettingsPatch extends FunctionSettings {
  /** Write-only; null deletes one. */
  secrets?: Record<string, string | null>;
  /** Admin keys only. */
  wasiReadOnlyDirs?: Record<string, string>;
}

/** Bytes of a Wasm module or zip, a path to one (or to a directory with kiln.json), or Function Compute's shape. */
export type Code = Uint8Array | ArrayBuffer | string | { zipFile: string };
export type Payload = Uint8Array | ArrayBuffer | string | Json | undefined;

export interface FunctionView extends JsonObject {
  service: string;
  name: string;
  version: { number: number; sha256: string; sizeBytes: number; createdAt: string };
  settings: JsonObject;
  createdAt: string;
  updatedAt: string;
  urls: { invoke: string; http: string; invocations: string; logs: string };
  secrets: { name: string; setAt: string }[];
}

export interface Invocation {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  /** The result bytes. */
  readonly payload: Uint8Array;
  readonly requestId: string | null;
  readonly executedVersion: number | null;
  readonly durationUs: number | null;
  readonly fuel: number | null;
  /** cold, warm or pool. */
  readonly start: string | null;
  readonly contentType: string | null;
  text(): string;
  json(): Json;
}

export interface Queued {
  statusCode: 202;
  requestId: string;
  status: 'queued';
  headers: Record<string, string>;
}

export interface InvokeOptions {
  /** LATEST (default), a version number or an alias. */
  qualifier?: string | number;
  /** Queue the event: resolves to 202 and the request id once it is durably stored. */
  async?: boolean;
  versionPin?: number;
  headers?: Record<string, string>;
}

export declare class KilnClient {
  constructor(options?: ClientOptions);
  constructor(endpoint: string, token?: string);
  readonly endpoint: string;
  readonly token: string | null;
  /** How many retries the last request needed. */
  readonly lastRetries: number;

  createFunction(serviceName: string, functionName: string, code: Code, settings?: FunctionSettings): Promise<FunctionView>;
  updateFunction(serviceName: string, functionName: string, code: Code, settings?: FunctionSettings): Promise<FunctionView>;
  updateFunctionSettings(serviceName: string, functionName: string, settings: SettingsPatch): Promise<FunctionView>;
  setSecrets(serviceName: string, functionName: string, secrets: Record<string, string | null>): Promise<FunctionView>;
  getFunction(serviceName: string, functionName: string): Promise<FunctionView>;
  deleteFunction(serviceName: string, functionName: string): Promise<void>;
  listFunctions(serviceName: string): Promise<FunctionView[]>;
  listServices(): Promise<string[]>;

  listVersions(serviceName: string, functionName: string): Promise<JsonObject[]>;
  getVersion(serviceName: string, functionName: string, version: number): Promise<JsonObject>;
  getVersionCode(serviceName: string, functionName: string, version: number): Promise<Uint8Array>;
  deleteVersion(serviceName: string, functionName: string, version: number): Promise<void>;
  putAlias(serviceName: string, functionName: string, alias: string, version: number,
    options?: { additionalVersionWeight?: Record<string | number, number>; description?: string }): Promise<JsonObject>;
  getAlias(serviceName: string, functionName: string, alias: string): Promise<JsonObject>;
  listAliases(serviceName: string, functionName: string): Promise<JsonObject[]>;
  deleteAlias(serviceName: string, functionName: string, alias: string): Promise<void>;

  invokeFunction(serviceName: string, functionName: string, payload?: Payload, options?: InvokeOptions & { async?: false }): Promise<Invocation>;
  invokeFunction(serviceName: string, functionName: string, payload: Payload, options: InvokeOptions & { async: true }): Promise<Queued>;
  invokeFunctionAsync(serviceName: string, functionName: string, payload?: Payload, options?: { qualifier?: string | number }): Promise<string>;

  listInvocations(serviceName: string, functionName: string, options?: { limit?: number; before?: string }): Promise<JsonObject[]>;
  getInvocation(serviceName: string, functionName: string, requestId: string): Promise<JsonObject>;
  getLogs(serviceName: string, functionName: string, options?: { limit?: number }): Promise<JsonObject[]>;

  getAsyncConfig(serviceName: string, functionName: string): Promise<JsonObject>;
  putAsyncConfig(serviceName: string, functionName: string, config: JsonObject): Promise<JsonObject>;
  deleteAsyncConfig(serviceName: string, functionName: string): Promise<JsonObject>;
  getQueue(serviceName: string, functionName: string): Promise<JsonObject>;
  listQueues(): Promise<JsonObject[]>;
  listQueuedEvents(serviceName: string, functionName: string, options?: { limit?: number; after?: number }): Promise<JsonObject[]>;
  getQueuedEvent(serviceName: string, functionName: string, requestId: string): Promise<JsonObject>;
  listDeadLetters(serviceName: string, functionName: string, options?: { limit?: number; before?: number }): Promise<JsonObject[]>;
  getDeadLetter(serviceName: string, functionName: string, requestId: string): Promise<JsonObject>;
  deleteDeadLetter(serviceName: string, functionName: string, requestId: string): Promise<void>;
  redriveDeadLetters(serviceName: string, functionName: string, requestId?: string): Promise<number>;

  createTrigger(serviceName: string, functionName: string, trigger: JsonObject): Promise<JsonObject>;
  listTriggers(serviceName: string, functionName: string): Promise<JsonObject[]>;
  getTrigger(serviceName: string, functionName: string, triggerId: string): Promise<JsonObject>;
  updateTrigger(serviceName: string, functionName: string, triggerId: string, changes: JsonObject): Promise<JsonObject>;
  deleteTrigger(serviceName: string, functionName: string, triggerId: string): Promise<void>;
  publish(topic: string, payload?: Payload): Promise<JsonObject>;
  listTopics(): Promise<JsonObject[]>;

  createKey(name: string, role: 'admin' | 'developer' | 'invoker' | 'viewer', services?: string[]): Promise<JsonObject & { id: string; key: string }>;
  listKeys(): Promise<JsonObject[]>;
  deleteKey(keyId: string): Promise<void>;
  listAudit(options?: { since?: string | number; limit?: number }): Promise<JsonObject[]>;

  /** pathPrefix: "/" for every path, or whole segments such as "/api". */
  putRoute(routeId: string, route: { host: string; pathPrefix: string; service: string; function: string; qualifier?: string }): Promise<JsonObject>;
  getRoute(routeId: string): Promise<JsonObject>;
  listRoutes(): Promise<JsonObject[]>;
  deleteRoute(routeId: string): Promise<void>;
  getQuota(serviceName: string): Promise<JsonObject>;
  putQuota(serviceName: string, quota: { maxFunctions?: number | null; maxMemoryMiB?: number | null; maxConcurrency?: number | null; maxInvocationsPerSecond?: number | null }): Promise<JsonObject>;
  deleteQuota(serviceName: string): Promise<void>;
  kvList(serviceName: string, options?: { prefix?: string; after?: string; limit?: number }): Promise<{ service: string; keys: { key: string; expiresAt: string | null }[]; next: string | null }>;
  kvGet(serviceName: string, key: string): Promise<Uint8Array>;
  kvPut(serviceName: string, key: string, value: Payload, options?: { ttlMs?: number }): Promise<void>;
  kvDelete(serviceName: string, key: string): Promise<void>;

  getLimits(): Promise<JsonObject>;
  health(): Promise<JsonObject>;
  /** The OpenAPI 3.1 description of the API (public). */
  openapi(): Promise<JsonObject>;
}
