// kcat-like output format strings for `samsa consume -f`: compiled once into a
// list of literal bytes and field codes, then rendered per record into bytes
// (keys and values are written as they are, never re-encoded). Owns: the format
// language and the escape rules of separators. Must not read or write streams.
//
//   %t topic  %p partition  %o offset  %k key  %s value  %T timestamp (ms)
//   %h headers (k=v,k=v)  %K key length  %S value length (-1 for null)  %% a '%'
//   \n newline  \t tab  \r carriage return  \0 NUL  \\ backslash

import { UsageError } from './common.js';

export type FormatField = 't' | 'p' | 'o' | 'k' | 's' | 'T' | 'h' | 'K' | 'S';

export type FormatPart = { kind: 'literal'; bytes: Buffer } | { kind: 'field'; field: FormatField };

/** The record fields a format can show. */
export interface FormatRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: ReadonlyArray<{ key: string; value: Uint8Array | null }>;
}

const FIELDS: ReadonlySet<string> = new Set<FormatField>(['t', 'p', 'o', 'k', 's', 'T', 'h', 'K', 'S']);
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\' };
/** A format longer than this is a mistake, not a format. */
const FORMAT_CHARS_MAX = 4096;

/** Replaces \n \t \r \0 \\ with the characters they name (other backslashes stay). */
export function unescape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const e = c === '\\' && i + 1 < s.length ? ESCAPES[s[i + 1]!] : undefined;
    if (e !== undefined) {
      out += e;
      i++;
    } else out += c;
  }
  return out;
}

/** Compiles a format string; a usage error names an unknown %-code. */
export function compileFormat(format: string): FormatPart[] {
  if (format.length > FORMAT_CHARS_MAX) throw new UsageError(`format is longer than ${FORMAT_CHARS_MAX} characters`);
  const parts: FormatPart[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') parts.push({ kind: 'literal', bytes: Buffer.from(literal, 'utf8') });
    literal = '';
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '\\' && i + 1 < format.length && ESCAPES[format[i + 1]!] !== undefined) {
      literal += ESCAPES[format[i + 1]!];
      i++;
    } else if (c === '%') {
      const f = format[i + 1];
      if (f === '%') literal += '%';
      else if (f !== undefined && FIELDS.has(f)) {
        flush();
        parts.push({ kind: 'field', field: f as FormatField });
      } else {
        throw new UsageError(`format: unknown code '%${f ?? ''}' (use %t %p %o %k %s %T %h %K %S %%)`);
      }
      i++;
    } else literal += c;
  }
  flush();
  return parts;
}

const EMPTY = Buffer.alloc(0);

function bytesOf(v: Uint8Array | null): Buffer {
  if (v === null) return EMPTY;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function headersBytes(headers: FormatRecord['headers']): Buffer {
  if (headers.length === 0) return EMPTY;
  const chunks: Buffer[] = [];
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    chunks.push(Buffer.from(`${i === 0 ? '' : ','}${h.key}=`, 'utf8'));
    if (h.value !== null) chunks.push(bytesOf(h.value));
  }
  return Buffer.concat(chunks);
}

/** Appends the rendering of `r` to `out` (chunks); returns the bytes added. */
export function renderRecord(parts: readonly FormatPart[], r: FormatRecord, out: Buffer[]): number {
  let n = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    let b: Buffer;
    if (part.kind === 'literal') b = part.bytes;
    else {
      switch (part.field) {
        case 't':
          b = Buffer.from(r.topic, 'utf8');
          break;
        case 'p':
          b = Buffer.from(String(r.partition));
          break;
        case 'o':
          b = Buffer.from(String(r.offset));
          break;
        case 'k':
          b = bytesOf(r.key);
          break;
        case 's':
          b = bytesOf(r.value);
          break;
        case 'T':
          b = Buffer.from(String(r.timestamp));
          break;
        case 'h':
          b = headersBytes(r.headers);
          break;
        case 'K':
          b = Buffer.from(String(r.key === null ? -1 : r.key.length));
          break;
        case 'S':
          b = Buffer.from(String(r.value === null ? -1 : r.value.length));
          break;
      }
    }
    if (b.length > 0) {
      out.push(b);
      n += b.length;
    }
  }
  return n;
}

const utf8 = new TextDecoder('utf-8');

/** One record as a JSON line (`consume --json`): key, value and header values as UTF-8 text. */
export function recordJson(r: FormatRecord): string {
  const text = (v: Uint8Array | null): string | null => (v === null ? null : utf8.decode(v));
  return `${JSON.stringify({
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: text(r.key),
    value: text(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: text(h.value) })),
  })}\n`;
}
