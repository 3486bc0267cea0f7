// Registers the instrumenting loader hooks (instrument-hooks.ts); the fuzzer is run with
// `node --import ./dist/test/fuzz/register.js`, so every later import is instrumented.
import { register } from 'node:module';

register('./instrument-hooks.js', import.meta.url);
