// Request and response header schemas (RequestHeader.json, ResponseHeader.json).
// Owns: the header layouts and which header version an API version uses. Must not
// import anything outside the codec (the browser client shares it).
//
// Request header v1 (non-flexible APIs) or v2 (flexible: adds tagged fields); the
// ClientId is always a classic int16-prefixed string, even in v2. Response header
// v0, or v1 (tagged fields) for flexible versions — except ApiVersions, whose
// response header is always v0 so a client can read it before it knows our versions.

import { type MessageOf, defineMessage } from '../codec/infer.js';

export const RequestHeaderCodec = defineMessage({
  name: 'RequestHeader',
  apiKey: -1,
  type: 'header',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'requestApiKey', type: 'int16', versions: '0+' },
    { name: 'requestApiVersion', type: 'int16', versions: '0+' },
    { name: 'correlationId', type: 'int32', versions: '0+' },
    { name: 'clientId', type: 'string', versions: '1+', nullableVersions: '1+', flexibleVersions: 'none', default: null },
  ],
});
export type RequestHeader = MessageOf<typeof RequestHeaderCodec>;

export const ResponseHeaderCodec = defineMessage({
  name: 'ResponseHeader',
  apiKey: -1,
  type: 'header',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [{ name: 'correlationId', type: 'int32', versions: '0+' }],
});
export type ResponseHeader = MessageOf<typeof ResponseHeaderCodec>;

export const API_VERSIONS_KEY = 18;

/**
 * Every request header version starts with the same 8 bytes: api key (i16), api
 * version (i16), correlation id (i32). The broker reads them in place to route a
 * frame before decoding it.
 */
export const REQUEST_HEADER_OFF_API_KEY = 0;
export const REQUEST_HEADER_OFF_API_VERSION = 2;
export const REQUEST_HEADER_OFF_CORRELATION_ID = 4;
export const REQUEST_HEADER_FIXED_BYTES = 8;

/** Request header version for an API version. */
export function requestHeaderVersion(flexible: boolean): number {
  return flexible ? 2 : 1;
}

/** Response header version for an API version. */
export function responseHeaderVersion(apiKey: number, flexible: boolean): number {
  return flexible && apiKey !== API_VERSIONS_KEY ? 1 : 0;
}
