// CRC-32C (Castagnoli) in plain JavaScript, for the browser client and as the
// fallback when no native implementation is registered (codecs.ts). Owns: the
// table-driven slicing-by-8 algorithm only. Must not import anything.
//
// Kafka's RecordBatch v2 checksum is CRC-32C over attributes..end of the batch.
// Slicing-by-8 reads 8 bytes per step through 8 tables (8 KiB, built once).

const POLY_REFLECTED = 0x82f63b78;
const TABLES = new Int32Array(8 * 256);

(function buildTables(): void {
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    TABLES[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = TABLES[n]!;
    for (let t = 1; t < 8; t++) {
      c = TABLES[c & 0xff]! ^ (c >>> 8);
      TABLES[t * 256 + n] = c;
    }
  }
})();

/** CRC-32C of `data` as an unsigned 32-bit number. */
export function crc32cJs(data: Uint8Array): number {
  const t = TABLES;
  let crc = -1;
  let i = 0;
  const n = data.length;
  const end8 = n - (n & 7);
  for (; i < end8; i += 8) {
    const a = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) ^ crc;
    const b = data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24);
    crc =
      t[7 * 256 + (a & 0xff)]! ^
      t[6 * 256 + ((a >>> 8) & 0xff)]! ^
      t[5 * 256 + ((a >>> 16) & 0xff)]! ^
      t[4 * 256 + (a >>> 24)]! ^
      t[3 * 256 + (b & 0xff)]! ^
      t[2 * 256 + ((b >>> 8) & 0xff)]! ^
      t[256 + ((b >>> 16) & 0xff)]! ^
      t[b >>> 24]!;
  }
  for (; i < n; i++) crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
