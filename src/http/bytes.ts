// Small byte helpers shared by the HTTP transports and routes. Owns: joining body
// chunks, parsing Content-Length, strict base64 and UTF-8. Must not know HTTP routes.

import { invariantFailed } from '../wire/assert.js';

/** Joins chunks whose lengths sum to `total` (asserted). */
export function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.byteLength === total) return chunks[0]!;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.byteLength;
  }
  if (pos !== total) invariantFailed(`body chunks hold ${pos} bytes, expected ${total}`);
  return out;
}

/** A Content-Length header as a number; null when absent; NaN when malformed. */
export function parseContentLength(value: string): number | null {
  if (value === '') return null;
  return /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : NaN;
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 (RFC 4648 §4, padded); null when `s` is not. */
export function decodeBase64(s: string): Uint8Array | null {
  if (!BASE64_RE.test(s)) return null;
  const b = Buffer.from(s, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

export function toUtf8(s: string): Uint8Array {
  return utf8.encode(s);
}

export function fromUtf8(b: Uint8Array): string {
  return utf8Decoder.decode(b);
}

/** UTF-8 text, or null when the bytes are not valid UTF-8. */
export function fromUtf8Strict(b: Uint8Array): string | null {
  try {
    return utf8Strict.decode(b);
  } catch {
    return null;
  }
}

/** RFC 6455 §5.5: a close frame's reason is at most 123 bytes of UTF-8; cut at a character boundary. */
export const CLOSE_REASON_BYTES_MAX = 123;

export function closeReason(reason: string): string {
  if (Buffer.byteLength(reason, 'utf8') <= CLOSE_REASON_BYTES_MAX) return reason;
  let out = '';
  let bytes = 0;
  for (const ch of reason) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > CLOSE_REASON_BYTES_MAX) break;
    out += ch;
    bytes += n;
  }
  return out;
}
