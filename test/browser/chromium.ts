// Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core
// (no downloaded browser build). Owns: finding it, the launch flags, skipping when it
// is missing locally and failing when CI requires it (SAMSA_BROWSER_REQUIRE=1, set by
// .ci/run), and where screenshots go (test-output/, git-ignored).

import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.SAMSA_CHROMIUM ?? '/usr/bin/chromium';
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Launches Chromium headless, or returns null after marking the test skipped when it
 * is not installed. Under SAMSA_BROWSER_REQUIRE=1 a missing browser fails instead.
 * playwright-core gives each launch a fresh temporary profile (its own --user-data-dir).
 */
export async function launchOrSkip(t: TestContext): Promise<Browser | null> {
  if (!existsSync(CHROMIUM_PATH)) {
    const why = `${CHROMIUM_PATH} is missing: install Debian's chromium (apt-get install chromium) to run the browser tests`;
    if (process.env.SAMSA_BROWSER_REQUIRE === '1') throw new Error(`${why} (SAMSA_BROWSER_REQUIRE=1)`);
    t.skip(why);
    return null;
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

/** test-output/<dir>/, created on demand. */
export function outputDir(dir: string): string {
  const path = `${ROOT}test-output/${dir}`;
  mkdirSync(path, { recursive: true });
  return path;
}

/**
 * Collects uncaught page errors and console errors, so a test can assert there were
 * none. Chromium's own "Failed to load resource" lines for 4xx answers are left out:
 * a test that provokes one checks the page shows the API's message instead.
 */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of 4')) errors.push(`console.error: ${m.text()}`);
  });
  return errors;
}
