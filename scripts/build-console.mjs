// Builds the web console (console/) into one self-contained page,
// dist/console/index.html, which the HTTP listener serves at /console (src/http/console-page.ts).
// Steps: type-check console/ (its own tsconfig: DOM, no Node), bundle and minify
// console/src/main.ts with esbuild, minify console/style.css, inline both into
// console/index.html, and pin them with a Content-Security-Policy of their hashes
// (no other script or style can run on the page; connections only to its own origin).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
/** The page must stay small (issue 10); a larger one means something heavy was bundled. */
const PAGE_BYTES_MAX = 200 * 1024;

const tsc = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}console/tsconfig.json`], { stdio: 'inherit' });
if (tsc.status !== 0) {
  console.error('build-console: console/ does not type-check');
  process.exit(1);
}

const bundle = await build({
  entryPoints: [`${root}console/src/main.ts`],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome109', 'firefox115', 'safari16'],
  write: false,
  legalComments: 'none',
  logLevel: 'warning',
});
// Inside an inline <script>, "</script" would end the element: escape it (it can only occur in strings).
const js = bundle.outputFiles[0].text.trim().replace(/<\/(script)/gi, '<\\/$1');
const css = (await transform(readFileSync(`${root}console/style.css`, 'utf8'), { loader: 'css', minify: true })).code.trim();

const sha = (s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
const csp = [
  "default-src 'none'",
  `script-src ${sha(js)}`,
  `style-src ${sha(css)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const template = readFileSync(`${root}console/index.html`, 'utf8');
for (const mark of ['<!--CSP-->', '/*STYLE*/', '/*SCRIPT*/']) {
  if (template.split(mark).length !== 2) throw new Error(`console/index.html must contain ${mark} exactly once`);
}
// Functions as replacements: `$` in the bundle must not be read as a replacement pattern.
const html = template
  .replace('<!--CSP-->', () => `<meta http-equiv="Content-Security-Policy" content="${csp}">`)
  .replace('/*STYLE*/', () => css)
  .replace('/*SCRIPT*/', () => js);
const bytes = Buffer.byteLength(html);
if (bytes > PAGE_BYTES_MAX) {
  console.error(`build-console: the page is ${bytes} bytes, over ${PAGE_BYTES_MAX}`);
  process.exit(1);
}
mkdirSync(`${root}dist/console`, { recursive: true });
writeFileSync(`${root}dist/console/index.html`, html);
console.log(`build-console: dist/console/index.html, ${(bytes / 1024).toFixed(1)} KiB`);
