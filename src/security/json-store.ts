// Reads one of the small JSON stores under meta/ (users, ACLs, quotas): a file that is
// not there is an empty store; one that cannot be read or is not JSON is an error the
// caller names with its own error class. Owns: that read. Must not check the content
// (each store validates its own shape) nor write (storage/durable-file.ts does).
import { readFileSync } from 'node:fs';

/** The parsed file, or undefined when it does not exist; `fail` builds the store's error. */
export function readJsonStore(file: string, fail: (message: string) => Error): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw fail(`cannot read ${file} (${code ?? 'error'})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw fail(`${file} is not valid JSON`);
  }
}
