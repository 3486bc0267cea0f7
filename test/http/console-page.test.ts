// Serving the web console page on both transports: GET / answers browsers with the
// page and API clients with the endpoint list; GET /console sends the page gzipped
// when asked, with a weak ETag (304 on a match) and a Content-Security-Policy that
// pins its one inline script and style. The page itself runs in test/browser/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { TRANSPORTS, request, startHttpTestBroker, type HttpTestBroker } from './harness.js';
import { acceptsGzip, prefersHtml } from '../../src/http/console-page.js';

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function raw(base: string, path: string, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

for (const transport of TRANSPORTS) {
  describe(`console page over ${transport}`, () => {
    let b: HttpTestBroker;
    before(async () => {
      b = await startHttpTestBroker(transport);
    });
    after(() => b.close());

    test('GET / gives browsers the console and API clients the endpoint list', async () => {
      const api = await request(b.base, 'GET', '/', undefined, { accept: '*/*' });
      assert.equal(api.status, 200);
      const list = api.json as { console: string; endpoints: string[] };
      assert.equal(list.console, '/console');
      assert.ok(list.endpoints.includes('GET /groups/:group'));

      const page = await raw(b.base, '/', { accept: BROWSER_ACCEPT });
      assert.equal(page.status, 200);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(page.body.toString(), /<title>Samsa<\/title>/);
      assert.match(String(page.headers.vary), /accept/);
    });

    test('GET /console: gzip on request, ETag and 304, CSP pinning the inline script and style', async () => {
      const plain = await raw(b.base, '/console', { accept: BROWSER_ACCEPT });
      assert.equal(plain.status, 200);
      assert.equal(plain.headers['content-encoding'], undefined);
      const html = plain.body.toString();
      assert.ok(plain.body.byteLength < 200 * 1024, `the page is small: ${plain.body.byteLength} bytes`);
      const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
      assert.ok(csp !== undefined, 'the page carries its CSP');
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'/);
      assert.match(csp, /connect-src 'self'/);
      assert.doesNotMatch(html, /<script[^>]+src=/, 'nothing is loaded from elsewhere (no CDN)');

      const zipped = await raw(b.base, '/console', { accept: BROWSER_ACCEPT, 'accept-encoding': 'gzip, deflate, br' });
      assert.equal(zipped.headers['content-encoding'], 'gzip');
      assert.ok(zipped.body.byteLength < plain.body.byteLength);
      assert.equal(gunzipSync(zipped.body).toString(), html);

      const etag = String(plain.headers.etag);
      assert.match(etag, /^W\/"/);
      const again = await raw(b.base, '/console', { 'if-none-match': etag });
      assert.equal(again.status, 304);
      assert.equal(again.body.byteLength, 0);
      assert.equal((await raw(b.base, '/console/', {})).status, 200, 'a trailing slash is the same page');
    });
  });
}

test('Accept and Accept-Encoding parsing', () => {
  assert.equal(prefersHtml(BROWSER_ACCEPT), true);
  assert.equal(prefersHtml('*/*'), false);
  assert.equal(prefersHtml('application/json, text/html'), false);
  assert.equal(prefersHtml(''), false);
  assert.equal(acceptsGzip('gzip, deflate, br'), true);
  assert.equal(acceptsGzip('br;q=1.0, gzip;q=0.8'), true);
  assert.equal(acceptsGzip('gzip;q=0'), false);
  assert.equal(acceptsGzip('identity'), false);
  assert.equal(acceptsGzip(''), false);
});
