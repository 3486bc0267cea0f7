// Live tail of a topic over the JSON consume stream (WS /topics/{t}/consume, one
// socket per partition), with pause/resume, a search box and a produce form.
// Pausing closes the sockets and remembers each partition's next offset, so the
// broker's own backpressure applies and resuming continues where it stopped.
// Bounds: at most RECORDS_KEPT records in memory, ROWS_SHOWN rendered, and
// PARTITIONS_TAILED_MAX sockets.

import { api, enc, wsUrl, type ConsumedRecord, type TopicStats } from '../api.js';
import { fill, fmtTime, h } from '../dom.js';
import { Status, single, type View } from '../view.js';

const RECORDS_KEPT = 2_000;
const ROWS_SHOWN = 500;
const PARTITIONS_TAILED_MAX = 64;
const CELL_CHARS_MAX = 400;
/** "last N" start: how far back from each partition's end. */
const RECENT_PER_PARTITION = 100;

/** A key or value as shown: strings as they are, JSON on one line with spaces (so it can wrap). */
function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  // JSON.stringify escapes newlines inside strings, so every newline here is layout.
  return typeof v === 'string' ? v : JSON.stringify(v, null, 1).replace(/\n\s*/g, ' ');
}

function clip(s: string): string {
  return s.length > CELL_CHARS_MAX ? `${s.slice(0, CELL_CHARS_MAX)}…` : s;
}

function utf8Base64(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

interface Row {
  rec: ConsumedRecord;
  /** Lower-cased key, value and headers, for the search box. */
  haystack: string;
}

export function tailView(initialTopic: string | null, navigate: (hash: string) => void): View {
  const topicSelect = h('select', { 'aria-label': 'topic', 'data-testid': 'tail-topic' });
  const partitionSelect = h('select', { 'aria-label': 'partition', 'data-testid': 'tail-partition' });
  const fromSelect = h(
    'select',
    { 'aria-label': 'start at', 'data-testid': 'tail-from' },
    h('option', { value: 'recent' }, `last ${RECENT_PER_PARTITION} per partition`),
    h('option', { value: 'beginning' }, 'from the beginning'),
    h('option', { value: 'end' }, 'new records only'),
  );
  const pauseButton = h('button', { type: 'button', 'data-testid': 'tail-pause' }, 'Pause');
  const clearButton = h('button', { type: 'button' }, 'Clear');
  const search = h('input', { type: 'search', placeholder: 'search key, value, headers', 'aria-label': 'search', 'data-testid': 'tail-search' });
  const counter = h('span', { class: 'muted', 'data-testid': 'tail-count' });
  const state = h('span', { class: 'tag', 'data-testid': 'tail-state' }, 'idle');
  const tbody = h('tbody', { 'data-testid': 'tail-rows' });
  const status = new Status('tail-status');

  let topic: string | null = null;
  let partitions = 0;
  /** partition → [earliest, latest] offsets when the topic was opened. */
  let bounds = new Map<number, [number, number]>();
  let rows: Row[] = [];
  let sockets: WebSocket[] = [];
  /** partition → next offset to read, learnt from records (resume point). */
  const next = new Map<number, number>();
  let paused = false;
  let renderQueued = false;
  let generation = 0;

  const render = (): void => {
    renderQueued = false;
    const q = search.value.trim().toLowerCase();
    // Newest first by record time (partitions arrive one after another when a tail opens).
    const matching = q === '' ? rows.slice() : rows.filter((r) => r.haystack.includes(q));
    matching.sort((a, b) => b.rec.timestamp - a.rec.timestamp || a.rec.partition - b.rec.partition || b.rec.offset - a.rec.offset);
    const shown = matching.slice(0, ROWS_SHOWN);
    fill(
      tbody,
      shown.length === 0
        ? h('tr', null, h('td', { class: 'empty', colspan: 6 }, rows.length === 0 ? 'waiting for records…' : 'no record matches the search'))
        : shown.map(({ rec }) =>
            h(
              'tr',
              { 'data-offset': `${rec.partition}-${rec.offset}` },
              h('td', { class: 'mono' }, fmtTime(rec.timestamp)),
              h('td', { class: 'num' }, rec.partition),
              h('td', { class: 'num' }, rec.offset),
              h('td', { class: 'mono key', title: rec.key === null ? null : clip(text(rec.key)) }, rec.key === null ? h('span', { class: 'muted' }, 'null') : clip(text(rec.key))),
              h('td', { class: 'mono value' }, rec.value === null ? h('span', { class: 'muted' }, 'null') : clip(text(rec.value))),
              h('td', { class: 'mono headers' }, rec.headers.map((x) => h('span', { class: 'hdr' }, `${x.key}: ${x.value ?? 'null'}`))),
            ),
          ),
    );
    counter.textContent = q === '' ? `${rows.length} record${rows.length === 1 ? '' : 's'}` : `${matching.length} of ${rows.length} records match`;
  };
  const queueRender = (): void => {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(render);
  };
  search.addEventListener('input', queueRender);

  const closeAll = (): void => {
    generation++;
    for (const ws of sockets) ws.close(1000, 'tail stopped');
    sockets = [];
  };

  const setState = (s: string, cls: string): void => {
    state.textContent = s;
    state.className = `tag ${cls}`;
  };

  const open = (): void => {
    closeAll();
    if (topic === null) return;
    const gen = generation;
    const want = partitionSelect.value === 'all' ? Array.from({ length: Math.min(partitions, PARTITIONS_TAILED_MAX) }, (_, i) => i) : [Number(partitionSelect.value)];
    let openCount = 0;
    for (const p of want) {
      const resume = next.get(p);
      const b = bounds.get(p);
      const start =
        resume !== undefined
          ? `offset=${resume}`
          : fromSelect.value === 'recent'
            ? b === undefined
              ? 'from=end'
              : `offset=${Math.max(b[0], b[1] - RECENT_PER_PARTITION)}`
            : `from=${fromSelect.value}`;
      const connect = (query: string, retried: boolean): void => {
        const ws = new WebSocket(wsUrl(`/topics/${enc(topic!)}/consume?partition=${p}&${query}`));
        sockets.push(ws);
        let opened = false;
        ws.onopen = () => {
          opened = true;
          if (gen !== generation) return;
          openCount++;
          if (openCount === want.length) setState('live', 'live');
        };
        ws.onmessage = (ev) => {
          if (gen !== generation || typeof ev.data !== 'string') return;
          const msg = JSON.parse(ev.data) as ConsumedRecord | { error_code: number; message: string };
          if ('error_code' in msg) {
            status.error(new Error(`${msg.message} (${msg.error_code})`));
            return;
          }
          next.set(msg.partition, msg.offset + 1);
          const hay = `${text(msg.key)}\n${text(msg.value)}\n${msg.headers.map((x) => `${x.key}: ${x.value ?? ''}`).join('\n')}`.toLowerCase();
          rows.push({ rec: msg, haystack: hay });
          if (rows.length > RECORDS_KEPT) rows = rows.slice(rows.length - RECORDS_KEPT);
          queueRender();
        };
        ws.onclose = () => {
          if (gen !== generation) return;
          // Refused before opening with a resume offset: retention removed it; start over from the log start.
          if (!opened && !retried && query.startsWith('offset=')) {
            connect('from=beginning', true);
            return;
          }
          setState('disconnected', 'error');
        };
      };
      connect(start, false);
    }
    if (partitions > PARTITIONS_TAILED_MAX && partitionSelect.value === 'all') status.error(new Error(`tailing the first ${PARTITIONS_TAILED_MAX} of ${partitions} partitions; pick one for the others`));
    setState('connecting', '');
  };

  const restart = (): void => {
    next.clear();
    rows = [];
    paused = false;
    pauseButton.textContent = 'Pause';
    status.clear();
    queueRender();
    open();
  };

  pauseButton.addEventListener('click', () => {
    if (topic === null) return;
    paused = !paused;
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
    if (paused) {
      closeAll();
      setState('paused', 'paused');
    } else {
      open();
    }
  });
  clearButton.addEventListener('click', () => {
    rows = [];
    queueRender();
  });
  partitionSelect.addEventListener('change', restart);
  fromSelect.addEventListener('change', restart);
  topicSelect.addEventListener('change', () => navigate(`#/tail/${enc(topicSelect.value)}`));

  // ---- produce form (binary embedded format: the text typed is stored as its UTF-8 bytes)
  const key = h('input', { placeholder: 'optional', 'data-testid': 'produce-key', autocomplete: 'off' });
  const value = h('textarea', { rows: 3, placeholder: '{"amount": 42}', 'data-testid': 'produce-value' });
  const headers = h('textarea', { rows: 2, placeholder: 'name: value (one per line)', 'data-testid': 'produce-headers' });
  const partition = h('select', { 'aria-label': 'partition to produce to', 'data-testid': 'produce-partition' });
  const produceStatus = new Status('produce-status');
  const produceForm = h(
    'form',
    { class: 'stack-form', 'data-testid': 'produce-form' },
    h('label', null, 'Key', key),
    h('label', null, 'Value', value),
    h('label', null, 'Headers', headers),
    h('label', null, 'Partition', partition),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'produce-submit' }, 'Produce'),
    produceStatus.el,
  );
  produceForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (topic === null) return;
    const hdrs: Array<{ key: string; value: string }> = [];
    for (const line of headers.value.split('\n')) {
      if (line.trim() === '') continue;
      const i = line.indexOf(':');
      if (i <= 0) {
        produceStatus.error(new Error(`header line ${JSON.stringify(line)} is not "name: value"`));
        return;
      }
      hdrs.push({ key: line.slice(0, i).trim(), value: utf8Base64(line.slice(i + 1).trim()) });
    }
    const record: Record<string, unknown> = { key: key.value === '' ? null : utf8Base64(key.value), value: utf8Base64(value.value), headers: hdrs };
    if (partition.value !== 'auto') record.partition = Number(partition.value);
    produceStatus.clear();
    api
      .post<{ offsets: Array<{ partition: number; offset: number | null; error: string | null }> }>(`/topics/${enc(topic)}`, { records: [record] }, 'application/vnd.kafka.binary.v2+json')
      .then((r) => {
        const o = r.offsets[0];
        if (o === undefined || o.offset === null) produceStatus.error(new Error(o?.error ?? 'not written'));
        else produceStatus.ok(`written to partition ${o.partition} at offset ${o.offset}`);
      })
      .catch((err: unknown) => produceStatus.error(err));
  });

  const setup = single(async () => {
    try {
      const names = await api.get<string[]>('/topics');
      fill(topicSelect, h('option', { value: '', disabled: true }, names.length === 0 ? 'no topics yet' : 'pick a topic'), names.map((n) => h('option', { value: n }, n)));
      const chosen = initialTopic ?? names.find((n) => !n.startsWith('__')) ?? null;
      if (chosen === null) {
        topicSelect.value = '';
        setState('idle', '');
        return;
      }
      topicSelect.value = chosen;
      const t = await api.get<TopicStats>(`/topics/${enc(chosen)}/stats`);
      topic = chosen;
      partitions = t.partition_count;
      bounds = new Map(t.partitions.map((p) => [p.partition, [p.beginning_offset, p.end_offset]]));
      fill(partitionSelect, h('option', { value: 'all' }, 'all partitions'), t.partitions.map((p) => h('option', { value: String(p.partition) }, `partition ${p.partition}`)));
      fill(partition, h('option', { value: 'auto' }, 'by key (or sticky)'), t.partitions.map((p) => h('option', { value: String(p.partition) }, String(p.partition))));
      restart();
    } catch (err) {
      status.error(err);
    }
  });
  void setup();
  render();

  const el = h(
    'section',
    null,
    h('h1', null, 'Live tail'),
    status.el,
    h(
      'div',
      { class: 'tail-layout' },
      h(
        'div',
        { class: 'panel tail-main' },
        h('div', { class: 'toolbar' }, topicSelect, partitionSelect, fromSelect, pauseButton, clearButton, search, state, counter),
        h('div', { class: 'table-box tail-box' }, h('table', { 'data-testid': 'tail-table', class: 'tail' }, h('thead', null, h('tr', null, h('th', null, 'Time'), h('th', { class: 'num' }, 'P'), h('th', { class: 'num' }, 'Offset'), h('th', null, 'Key'), h('th', null, 'Value'), h('th', null, 'Headers'))), tbody)),
      ),
      h('div', { class: 'panel tail-side' }, h('h2', null, 'Produce'), produceForm),
    ),
  );
  return { title: 'Live tail', el, dispose: closeAll };
}
