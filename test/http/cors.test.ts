// CORS on the HTTP JSON API (access.control.allow.origin), on both transports:
// preflights from allowed origins are answered, allowed origins' responses (errors
// too) carry Access-Control-Allow-Origin, other origins and a broker without the
// setting get none. A bad setting stops start-up naming it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCorsOrigins } from '../../src/http/cors.js';
import { startBroker } from '../../src/server.js';
import { ConfigError } from '../../src/config/config.js';
import { TRANSPORTS, request, startHttpTestBroker, type HttpTestBroker } from './harness.js';

const APP = 'http://localhost:3000';

test('parseCorsOrigins: empty is off, * is any, a list of exact origins, anything else refused', () => {
  assert.equal(parseCorsOrigins(''), null);
  assert.equal(parseCorsOrigins(' , '), null);
  assert.equal(parseCorsOrigins('*')?.anyOrigin, true);
  const p = parseCorsOrigins(`${APP}, https://app.example.com`);
  assert.deepEqual([...(p?.origins ?? [])], [APP, 'https://app.example.com']);
  for (const bad of ['localhost:3000', 'http://x/', 'http://x/path', 'ftp://x', 'http://a b']) assert.throws(() => parseCorsOrigins(bad), RangeError, bad);
});

test('a bad access.control.allow.origin stops start-up with a ConfigError naming it', async () => {
  await assert.rejects(startBroker({ 'access.control.allow.origin': 'localhost:3000' }), (e: unknown) => e instanceof ConfigError && /access\.control\.allow\.origin/.test(e.message));
});

for (const transport of TRANSPORTS) {
  let withCors: HttpTestBroker;
  let without: HttpTestBroker;

  before(async () => {
    withCors = await startHttpTestBroker(transport, { cors: parseCorsOrigins(APP) });
    without = await startHttpTestBroker(transport);
    await withCors.engine.createTopic('cors', 1);
  });

  after(async () => {
    await withCors.close();
    await without.close();
  });

  test(`${transport}: a preflight from an allowed origin is answered with the methods and headers allowed`, async () => {
    const r = await request(withCors.base, 'OPTIONS', '/topics/cors', undefined, { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' });
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), APP);
    assert.match(r.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(r.headers.get('access-control-allow-headers') ?? '', /content-type/);
    assert.equal(r.headers.get('vary'), 'origin');
  });

  test(`${transport}: responses to an allowed origin carry the header, errors included; other origins get none`, async () => {
    const ok = await request(withCors.base, 'GET', '/topics', undefined, { origin: APP });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), APP);
    assert.deepEqual(ok.json, ['cors']);
    const produced = await request(withCors.base, 'POST', '/topics/cors', { records: [{ value: { a: 1 } }] }, { origin: APP });
    assert.equal(produced.status, 200);
    assert.equal(produced.headers.get('access-control-allow-origin'), APP);
    const missing = await request(withCors.base, 'GET', '/topics/nope', undefined, { origin: APP });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('access-control-allow-origin'), APP, 'a browser can read the JSON error');
    const stranger = await request(withCors.base, 'GET', '/topics', undefined, { origin: 'http://evil.example' });
    assert.equal(stranger.status, 200);
    assert.equal(stranger.headers.get('access-control-allow-origin'), null);
    const strangerPreflight = await request(withCors.base, 'OPTIONS', '/topics', undefined, { origin: 'http://evil.example', 'access-control-request-method': 'DELETE' });
    assert.equal(strangerPreflight.headers.get('access-control-allow-origin'), null);
    const off = await request(without.base, 'GET', '/topics', undefined, { origin: APP });
    assert.equal(off.headers.get('access-control-allow-origin'), null, 'off unless configured');
  });
}
