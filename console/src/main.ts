// The Samsa web console: a hash-routed single page over the broker's HTTP API.
// Owns: the layout, the routes and the refresh tick. Views own their content.

import { api } from './api.js';
import { h } from './dom.js';
import { sampler } from './metrics.js';
import type { View } from './view.js';
import { brokerView } from './views/broker.js';
import { groupView, groupsView } from './views/groups.js';
import { metricsView } from './views/metrics.js';
import { tailView } from './views/tail.js';
import { topicView } from './views/topic.js';
import { topicsView } from './views/topics.js';

const REFRESH_MS = 2_000;

const navigate = (hash: string): void => {
  if (location.hash === hash) route();
  else location.hash = hash;
};

function viewFor(hash: string): View {
  const parts = hash.replace(/^#\/?/, '').split('/').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const [first, second] = parts;
  switch (first) {
    case 'topics':
      return second !== undefined && second !== '' ? topicView(second, navigate) : topicsView(navigate);
    case 'groups':
      return second !== undefined && second !== '' ? groupView(second, navigate) : groupsView();
    case 'broker':
      return brokerView();
    case 'metrics':
      return metricsView();
    case 'tail':
      return tailView(second !== undefined && second !== '' ? second : null, navigate);
    default:
      return topicsView(navigate);
  }
}

const NAV: Array<[string, string]> = [
  ['#/topics', 'Topics'],
  ['#/groups', 'Consumer groups'],
  ['#/broker', 'Broker'],
  ['#/metrics', 'Metrics'],
  ['#/tail', 'Live tail'],
];

const main = h('main', { id: 'main' });
const health = h('span', { class: 'health', 'data-testid': 'health' }, 'connecting…');
const nav = h(
  'nav',
  null,
  NAV.map(([href, label]) => h('a', { href, 'data-nav': href.slice(2) }, label)),
);
document.body.append(h('header', null, h('a', { href: '#/topics', class: 'brand' }, h('span', { class: 'logo' }, 'S'), 'Samsa'), nav, health), main);

let current: View | null = null;
let timer: number | undefined;

function route(): void {
  current?.dispose?.();
  window.clearInterval(timer);
  const view = viewFor(location.hash);
  current = view;
  main.replaceChildren(view.el);
  document.title = `${view.title} · Samsa`;
  const section = location.hash.replace(/^#\/?/, '').split('/')[0] || 'topics';
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.getAttribute('data-nav') === section);
  if (view.refresh !== undefined) {
    const refresh = view.refresh;
    void refresh();
    timer = window.setInterval(() => {
      if (!document.hidden) void refresh();
    }, REFRESH_MS);
  }
}

async function checkHealth(): Promise<void> {
  try {
    await api.get('/healthz');
    health.textContent = 'broker up';
    health.className = 'health up';
  } catch (err) {
    health.textContent = `broker unavailable: ${(err as Error).message}`;
    health.className = 'health down';
  }
}

window.addEventListener('hashchange', route);
sampler.start();
void checkHealth();
window.setInterval(() => void checkHealth(), 5_000);
route();
