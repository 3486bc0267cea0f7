// Piscina worker entry of the maintenance pool (src/broker/engine.ts starts the pool
// with this file). Owns: nothing but the exports piscina calls by name; the tasks
// themselves and their shapes live in src/storage/maintenance-tasks.ts, so nothing
// but piscina ever imports this file.

export { compact, recoverMany, scrub, unlink } from '../src/storage/maintenance-tasks.js';
