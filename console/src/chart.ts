// A small SVG line chart for the metrics history: time on x (the last minutes, now
// at the right), values on y from 0, a legend. Owns: drawing only.

import { fmtShort, h, s } from './dom.js';
import type { XY } from './metrics.js';

export interface Line {
  name: string;
  /** CSS class giving the stroke colour (.c1 … .c4). */
  cls: string;
  points: XY[];
}

const W = 560;
const H = 170;
const PAD_L = 44;
const PAD_R = 8;
const PAD_T = 8;
const PAD_B = 20;

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const exp = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * exp >= v) return m * exp;
  return 10 * exp;
}

export function lineChart(title: string, unit: string, lines: Line[], windowMs: number, nowMs: number, testId: string): HTMLElement {
  const x0 = nowMs - windowMs;
  let max = 0;
  for (const l of lines) for (const [t, v] of l.points) if (t >= x0 && v > max) max = v;
  const yMax = niceMax(max);
  const px = (t: number): number => PAD_L + ((t - x0) / windowMs) * (W - PAD_L - PAD_R);
  const py = (v: number): number => H - PAD_B - (v / yMax) * (H - PAD_T - PAD_B);

  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', role: 'img', 'aria-label': title });
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    const y = py(v);
    svg.appendChild(s('line', { x1: PAD_L, x2: W - PAD_R, y1: y, y2: y, class: 'grid' }));
    svg.appendChild(s('text', { x: PAD_L - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, fmtShort(v)));
  }
  // Minute ticks, or every 15 s on a window of a minute or less.
  const stepMs = windowMs <= 60_000 ? 15_000 : 60_000;
  for (let i = 0; i * stepMs <= windowMs; i++) {
    const ago = i * stepMs;
    const x = px(nowMs - ago);
    const label = ago === 0 ? 'now' : stepMs === 60_000 ? `-${ago / 60_000}m` : `-${ago / 1000}s`;
    svg.appendChild(s('text', { x, y: H - 5, class: 'axis', 'text-anchor': i === 0 ? 'end' : 'middle' }, label));
  }
  let any = false;
  for (const l of lines) {
    const pts = l.points.filter(([t]) => t >= x0);
    if (pts.length === 0) continue;
    any = true;
    const d = pts.map(([t, v], i) => `${i === 0 ? 'M' : 'L'}${px(t).toFixed(1)},${py(v).toFixed(1)}`).join('');
    svg.appendChild(s('path', { d, class: `line ${l.cls}` }));
    if (pts.length === 1) svg.appendChild(s('circle', { cx: px(pts[0]![0]), cy: py(pts[0]![1]), r: 2.5, class: `dot ${l.cls}` }));
  }
  if (!any) svg.appendChild(s('text', { x: W / 2, y: H / 2, class: 'axis', 'text-anchor': 'middle' }, 'waiting for samples…'));

  const legend = h(
    'div',
    { class: 'legend' },
    lines.map((l) => {
      const last = l.points[l.points.length - 1];
      return h('span', { class: 'legend-item' }, h('span', { class: `swatch ${l.cls}` }), `${l.name} `, h('b', null, last === undefined ? '–' : `${fmtShort(last[1])} ${unit}`));
    }),
  );
  return h('figure', { class: 'chart', 'data-testid': testId }, h('figcaption', null, title), legend, svg);
}
