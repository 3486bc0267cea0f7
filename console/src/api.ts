// The console's one way to the broker: JSON requests to the HTTP API and the URLs
// of its WebSockets, all on the page's own origin (same scheme, host, port), so the
// console works behind TLS and with whatever credentials the browser already holds
// for the origin (cookies, HTTP auth) without knowing them.
// Owns: request plumbing and error shapes. Must not render anything.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Requests give up after this long; the views show the error and retry on their next refresh. */
const REQUEST_TIMEOUT_MS = 15_000;

async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
  const init: RequestInit = { method, headers: { accept: 'application/json' }, credentials: 'same-origin', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = contentType;
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, 0, `the broker did not answer (${(err as Error).message})`);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    if (!res.ok) throw new ApiError(res.status, res.status, text.slice(0, 200) || res.statusText);
    throw new ApiError(res.status, 0, `not JSON: ${text.slice(0, 80)}`);
  }
  if (!res.ok) {
    const e = json as { error_code?: unknown; message?: unknown } | null;
    throw new ApiError(res.status, typeof e?.error_code === 'number' ? e.error_code : res.status, typeof e?.message === 'string' ? e.message : res.statusText);
  }
  return json;
}

export const api = {
  get: <T>(path: string): Promise<T> => call('GET', path) as Promise<T>,
  post: <T>(path: string, body: unknown, contentType?: string): Promise<T> => call('POST', path, body, contentType) as Promise<T>,
  del: <T>(path: string): Promise<T> => call('DELETE', path) as Promise<T>,
  /** Prometheus text from /metrics. */
  async metrics(): Promise<string> {
    const res = await fetch('/metrics', { credentials: 'same-origin', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (!res.ok) throw new ApiError(res.status, res.status, `/metrics answered ${res.status}`);
    return res.text();
  },
};

/** ws:// or wss:// to `path` on this page's origin. */
export function wsUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
}

export const enc = encodeURIComponent;

// ---------------------------------------------------------------- response shapes (docs/http.md)

export interface TopicRow {
  name: string;
  internal: boolean;
  partition_count: number;
  size_bytes: number | null;
  records: number;
  cleanup_policy: string;
}

export interface PartitionRow {
  partition: number;
  beginning_offset: number;
  end_offset: number;
  size_bytes: number | null;
  segments: number | null;
  shard: number | null;
}

export interface TopicStats extends TopicRow {
  partitions: PartitionRow[];
}

export interface ConfigRow {
  name: string;
  value: string;
  is_default: boolean;
  /** False for Kafka settings Samsa keeps and describes but does not apply. */
  applied: boolean;
}

export interface GroupRow {
  group_id: string;
  state: string;
  protocol_type: string;
  members: number;
  topics: string[];
  lag: number;
}

export interface GroupDetail {
  group_id: string;
  state: string;
  protocol_type: string;
  protocol: string;
  members: Array<{
    member_id: string;
    group_instance_id: string | null;
    client_id: string;
    client_host: string;
    subscription: string[] | null;
    assignment: Array<{ topic: string; partitions: number[] }> | null;
    assignment_bytes: number;
  }>;
  offsets: Array<{ topic: string; partition: number; committed_offset: number | null; beginning_offset: number | null; end_offset: number | null; lag: number | null; commit_timestamp: number | null }>;
  lag: number;
}

export interface BrokerInfo {
  node_id: number;
  cluster_id: string;
  kafka_listener: string;
  http_transport: string;
  uptime_seconds: number;
  shards_answered: boolean;
  shards: Array<{
    shard: number;
    cpu: number | null;
    pinned: boolean;
    partitions: number;
    size_bytes: number;
    ring: { request_used_bytes: number; request_capacity_bytes: number | null; completion_used_bytes: number; completion_capacity_bytes: number | null };
    fsync_count: number;
    fsync_total_ms: number;
    drains: number;
    append_frames: number;
  }>;
}

export interface ConsumedRecord {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number;
  offset: number;
  timestamp: number;
  headers: Array<{ key: string; value: string | null }>;
}
