// The part of istanbul-lib-instrument's API the fuzzer's loader hooks use (the package ships no types).
declare module 'istanbul-lib-instrument' {
  export interface InstrumenterOptions {
    esModules?: boolean;
    coverageVariable?: string;
    compact?: boolean;
    produceSourceMap?: boolean;
    autoWrap?: boolean;
  }
  export interface Instrumenter {
    instrumentSync(code: string, filename: string): string;
  }
  export function createInstrumenter(opts?: InstrumenterOptions): Instrumenter;
}
