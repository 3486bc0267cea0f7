// What the router shows: a view is an element plus an optional refresh (called
// every few seconds while shown) and dispose (when the user navigates away).
// Owns: that contract and the small widgets every view shares.

import { ApiError } from './api.js';
import { h } from './dom.js';

export interface View {
  title: string;
  el: HTMLElement;
  refresh?(): Promise<void>;
  dispose?(): void;
}

/** A status line for a form or a view: errors in red, successes in green. */
export class Status {
  readonly el = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });

  constructor(testId: string) {
    this.el.setAttribute('data-testid', testId);
  }

  ok(text: string): void {
    this.el.className = 'status ok';
    this.el.textContent = text;
  }

  error(err: unknown): void {
    this.el.className = 'status error';
    this.el.textContent = err instanceof ApiError ? `${err.message}${err.code > 0 ? ` (${err.code})` : ''}` : String((err as Error).message ?? err);
  }

  clear(): void {
    this.el.className = 'status';
    this.el.textContent = '';
  }
}

export function card(label: string, value: string | Node, testId?: string): HTMLElement {
  return h('div', { class: 'card', 'data-testid': testId }, h('div', { class: 'card-label' }, label), h('div', { class: 'card-value' }, value));
}

export function table(headers: Array<string | [string, string]>, rows: Node[], testId: string, empty = 'nothing yet'): HTMLElement {
  const head = h(
    'tr',
    null,
    headers.map((x) => (typeof x === 'string' ? h('th', null, x) : h('th', { class: x[1] }, x[0]))),
  );
  const body = h('tbody', null, rows.length > 0 ? rows : h('tr', null, h('td', { class: 'empty', colspan: headers.length }, empty)));
  return h('table', { 'data-testid': testId }, h('thead', null, head), body);
}

/** Runs `fn` unless a previous run is still going (refresh ticks must not pile up). */
export function single(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  return () => {
    running ??= fn().finally(() => {
      running = null;
    });
    return running;
  };
}
