// The web console's page: one HTML file with its script and styles inlined
// (dist/console/index.html, built from console/ by scripts/build-console.mjs and
// shipped in the package), served at GET /console, and at GET / to browsers.
// Owns: loading that file once, its gzip copy and its ETag. Reads only the
// package's own built asset, never broker data. Must not know the routes (api.ts).

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** dist/src/http/console-page.js → dist/console/index.html. */
const PAGE_URL = new URL('../../console/index.html', import.meta.url);
/** The page is small by design; a larger file is a build mistake, not something to serve. */
const PAGE_BYTES_MAX = 2 * 1024 * 1024;

export interface ConsolePage {
  html: Uint8Array;
  gzip: Uint8Array;
  etag: string;
}

let loaded: Promise<ConsolePage | null> | null = null;

async function load(): Promise<ConsolePage | null> {
  let html: Uint8Array;
  try {
    html = await readFile(PAGE_URL);
  } catch {
    return null;
  }
  if (html.byteLength > PAGE_BYTES_MAX) return null;
  // Weak: the gzip and identity bodies share it.
  const etag = `W/"${createHash('sha256').update(html).digest('base64url').slice(0, 22)}"`;
  // node:zlib on the first request for the page, not at every start (issue 14: start-up).
  const { gzipSync } = createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
  return { html, gzip: gzipSync(html, { level: 9 }), etag };
}

/** The built page, or null when the package was built without it (the route answers 404 saying so). */
export function consolePage(): Promise<ConsolePage | null> {
  // A missing page is looked for again next time (a build may have run since).
  loaded ??= load().then((p) => {
    if (p === null) loaded = null;
    return p;
  });
  return loaded;
}

/** True when the client asked for HTML first (a browser navigating to `/`), not JSON. */
export function prefersHtml(accept: string): boolean {
  const first = accept.split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('text/html');
}

/** True when `accept-encoding` lists gzip with a non-zero quality. */
export function acceptsGzip(acceptEncoding: string): boolean {
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [coding, ...params] = part.trim().split(';');
    if (coding?.trim() !== 'gzip') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}
