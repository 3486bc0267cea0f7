// Load generation shared by `samsa bench` and bench/client.bench.ts. Owns: the
// public surface only (see loadgen.ts).

export * from './loadgen.js';
