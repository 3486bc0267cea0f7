// CORS for the HTTP JSON API, off unless `access.control.allow.origin` names origins
// (the Confluent REST Proxy's setting of the same name). Owns: answering preflight
// OPTIONS requests and adding Access-Control-* headers to the responses of allowed
// origins. Must not know any route; WebSocket upgrades are not CORS requests.
//
// Off by default on purpose: with `*`, any web page a user visits could create and
// delete topics on a broker listening on localhost. Name the origins you serve from.

import { ForwardingExchange, type HttpExchange, type HttpHandler, type RespondOptions } from './transport.js';

/** What a browser may send and read cross-origin. */
const ALLOW_METHODS = 'GET, POST, DELETE, OPTIONS';
const ALLOW_HEADERS = 'content-type, accept';
/** Preflight answers may be cached this long (seconds). */
const PREFLIGHT_MAX_AGE_S = 600;
/** Origins in the setting at most (it is a comma-separated list). */
const ORIGINS_MAX = 100;

export interface CorsPolicy {
  /** '*' for any origin, else exact origins (scheme://host[:port]). */
  readonly anyOrigin: boolean;
  readonly origins: ReadonlySet<string>;
}

/** Parses the setting: '' = CORS off (null), '*' = any origin, else a comma-separated list of origins. */
export function parseCorsOrigins(setting: string): CorsPolicy | null {
  const items = setting.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) return null;
  if (items.length > ORIGINS_MAX) throw new RangeError(`access.control.allow.origin lists ${items.length} origins, at most ${ORIGINS_MAX}`);
  if (items.includes('*')) return { anyOrigin: true, origins: new Set() };
  for (const o of items) {
    // An origin is scheme://host[:port] with nothing after it (browsers send exactly that).
    if (!/^https?:\/\/[^/\s?#]+$/.test(o)) throw new RangeError(`access.control.allow.origin: '${o}' is not an origin like http://localhost:3000`);
  }
  return { anyOrigin: false, origins: new Set(items) };
}

/** The API handler with CORS: preflights answered here, allowed origins' responses tagged. */
export function withCors(handler: HttpHandler, policy: CorsPolicy | null): HttpHandler {
  if (policy === null) return handler;
  return (ex) => {
    const origin = ex.header('origin');
    const allowed = origin !== '' && (policy.anyOrigin || policy.origins.has(origin));
    if (!allowed) {
      handler(ex);
      return;
    }
    const headers: Record<string, string> = {
      'access-control-allow-origin': policy.anyOrigin ? '*' : origin,
      'access-control-expose-headers': 'content-type',
    };
    // A specific origin echoed back varies by request: caches must key on it.
    if (!policy.anyOrigin) headers.vary = 'origin';
    if (ex.method === 'OPTIONS' && ex.header('access-control-request-method') !== '') {
      ex.respond(204, 'text/plain', '', {
        headers: { ...headers, 'access-control-allow-methods': ALLOW_METHODS, 'access-control-allow-headers': ALLOW_HEADERS, 'access-control-max-age': String(PREFLIGHT_MAX_AGE_S) },
      });
      return;
    }
    handler(new CorsExchange(ex, headers));
  };
}

/** The same exchange, whose response carries the CORS headers. */
class CorsExchange extends ForwardingExchange {
  constructor(
    inner: HttpExchange,
    private readonly corsHeaders: Readonly<Record<string, string>>,
  ) {
    super(inner);
  }

  override respond(status: number, contentType: string, body: string | Uint8Array, opts: RespondOptions = {}): void {
    this.inner.respond(status, contentType, body, { ...opts, headers: { ...this.corsHeaders, ...opts.headers } });
  }
}
