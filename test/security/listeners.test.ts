// Kafka's listener settings parsed as Kafka reads them: names, protocols through
// listener.security.protocol.map, advertised addresses, and the mistakes Kafka refuses;
// ssl.principal.mapping.rules applied to RFC 2253 subjects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PROTOCOL_MAP, ListenerConfigError, resolveListeners } from '../../src/security/listeners.js';
import { TlsConfigError, mapDistinguishedName, parseMappingRules } from '../../src/security/tls.js';

const base = { listeners: '', advertisedListeners: '', protocolMap: DEFAULT_PROTOCOL_MAP, host: '127.0.0.1', port: 9092, advertisedHost: '' };

test('no listeners setting: one PLAINTEXT listener on host:port', () => {
  assert.deepEqual(resolveListeners(base), [{ name: 'PLAINTEXT', protocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092, advertisedHost: '127.0.0.1', advertisedPort: 9092 }]);
});

test('the issue example: PLAINTEXT on loopback and SASL_SSL on every interface', () => {
  const l = resolveListeners({ ...base, listeners: 'PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093' });
  assert.deepEqual(l.map((x) => [x.name, x.protocol, x.host, x.port, x.advertisedHost, x.advertisedPort]), [
    ['PLAINTEXT', 'PLAINTEXT', '127.0.0.1', 9092, '127.0.0.1', 9092],
    ['SASL_SSL', 'SASL_SSL', '0.0.0.0', 9093, 'localhost', 9093],
  ]);
});

test('custom listener names map to protocols; advertised.listeners per name; IPv6 and empty hosts', () => {
  const l = resolveListeners({
    ...base,
    listeners: 'INTERNAL://:9092,EXTERNAL://[::1]:9094',
    protocolMap: 'INTERNAL:PLAINTEXT,EXTERNAL:SSL',
    advertisedListeners: 'EXTERNAL://broker.example.com:19094',
    advertisedHost: 'samsa.internal',
  });
  assert.deepEqual(l.map((x) => [x.name, x.protocol, x.host, x.advertisedHost, x.advertisedPort]), [
    ['INTERNAL', 'PLAINTEXT', '', 'samsa.internal', 9092],
    ['EXTERNAL', 'SSL', '::1', 'broker.example.com', 19094],
  ]);
});

test('mistakes Kafka refuses are refused with the setting named', () => {
  const bad: Array<[Partial<typeof base>, RegExp]> = [
    [{ listeners: 'PLAINTEXT://a:1,PLAINTEXT://b:2' }, /listed twice/],
    [{ listeners: 'PLAINTEXT://a:1,SSL://b:1' }, /port 1 is used by two/],
    [{ listeners: 'CUSTOM://a:1' }, /CUSTOM has no security protocol/],
    [{ listeners: 'PLAINTEXT://a' }, /expected NAME:\/\/host:port/],
    [{ listeners: 'PLAINTEXT://a:70000' }, /above 65535/],
    [{ protocolMap: 'PLAINTEXT:TLS' }, /listener.security.protocol.map/],
    [{ advertisedListeners: 'SSL://x:1' }, /SSL is not one of listeners/],
    [{ advertisedListeners: 'PLAINTEXT://0.0.0.0:1' }, /must name a host/],
  ];
  for (const [s, re] of bad) assert.throws(() => resolveListeners({ ...base, ...s }), (e: unknown) => e instanceof ListenerConfigError && re.test(e.message), JSON.stringify(s));
});

test('ssl.principal.mapping.rules: first matching RULE wins, L/U case, DEFAULT keeps the name, escaped slashes', () => {
  const dn = 'CN=alice,OU=eng,O=Samsa Test';
  assert.equal(mapDistinguishedName(dn, parseMappingRules('DEFAULT')), dn);
  assert.equal(mapDistinguishedName(dn, parseMappingRules('RULE:^CN=(.*?),OU=(.*?),O=.*$/$1@$2/,DEFAULT')), 'alice@eng');
  assert.equal(mapDistinguishedName(dn, parseMappingRules('RULE:^CN=(.*?),.*$/$1/U')), 'ALICE');
  assert.equal(mapDistinguishedName('CN=Bob,O=X', parseMappingRules('RULE:^CN=nobody$/x/, RULE:^CN=(.*?),.*$/$1/L')), 'bob');
  assert.equal(mapDistinguishedName('CN=a/b', parseMappingRules('RULE:^CN=(.*)\\/(.*)$/$2\\/$1/')), 'b/a');
  // No rule matches (and no DEFAULT): no principal.
  assert.equal(mapDistinguishedName(dn, parseMappingRules('RULE:^CN=bob$/bob/')), '');
  assert.throws(() => parseMappingRules('RULE:^(unclosed/x/'), TlsConfigError);
  assert.throws(() => parseMappingRules('NOPE'), TlsConfigError);
});
