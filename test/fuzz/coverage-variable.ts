// The global the instrumented modules count into (shared by the loader hooks and the fuzzer).
export const COVERAGE_VARIABLE = '__samsaFuzzCoverage';
