// Module loader hooks for the fuzzer (registered by register.ts): every module of
// dist/src is instrumented with istanbul's counters as it loads, so the fuzzer sees
// which statements, branches and functions an input reached. Runs on Node's loader
// thread. Owns: instrumentation only. Must not change what a module does.
import { createInstrumenter } from 'istanbul-lib-instrument';
import { fileURLToPath } from 'node:url';
import { COVERAGE_VARIABLE } from './coverage-variable.js';

const SRC = new URL('../../src/', import.meta.url).href;
const instrumenter = createInstrumenter({ esModules: true, coverageVariable: COVERAGE_VARIABLE, compact: true, produceSourceMap: false, autoWrap: true });

interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | ArrayBufferView | null;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context?: object) => Promise<LoadResult>;

export async function load(url: string, context: object, nextLoad: NextLoad): Promise<LoadResult> {
  const loaded = await nextLoad(url, context);
  if (!url.startsWith(SRC) || !url.endsWith('.js') || loaded.format !== 'module' || loaded.source == null) return loaded;
  const code = typeof loaded.source === 'string' ? loaded.source : Buffer.from(loaded.source as ArrayBuffer).toString('utf8');
  return { ...loaded, source: instrumenter.instrumentSync(code, fileURLToPath(url)), shortCircuit: true };
}
