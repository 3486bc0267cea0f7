// Removes dist/ before a build: tsc never deletes the output of a source file that was
// moved or removed, and a stale dist/test/**/*.test.js would still run as a test.
import { rmSync } from 'node:fs';
rmSync(new URL('../dist/', import.meta.url), { recursive: true, force: true });
