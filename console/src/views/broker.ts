// The broker and its shards: identity and listeners, then per shard its CPU, its
// partitions and bytes on disk, ring occupancy, and fsync latency (the mean since
// start from /broker, and over the last interval from the /metrics samples).

import { api, type BrokerInfo } from '../api.js';
import { fill, fmtBytes, fmtMs, fmtNum, fmtUptime, h, meter } from '../dom.js';
import { intervalMeanMs, sampler } from '../metrics.js';
import { Status, card, single, table, type View } from '../view.js';

export function brokerView(): View {
  const cards = h('div', { class: 'cards' });
  const shardsBox = h('div', { class: 'table-box' });
  const connBox = h('div', { class: 'cards' });
  const status = new Status('broker-status');

  const refresh = single(async () => {
    try {
      const b = await api.get<BrokerInfo>('/broker');
      status.clear();
      fill(
        cards,
        card('Node', String(b.node_id)),
        card('Cluster', b.cluster_id),
        card('Kafka listener', b.kafka_listener),
        card('HTTP transport', b.http_transport),
        card('Uptime', fmtUptime(b.uptime_seconds)),
      );
      if (!b.shards_answered) status.error(new Error('a shard did not answer the stats request within 2 s'));
      fill(
        shardsBox,
        table(
          [['Shard', 'num'], 'CPU', ['Partitions', 'num'], ['Size on disk', 'num'], 'Request ring', 'Completion ring', ['fsyncs', 'num'], ['fsync mean', 'num'], ['fsync, last interval', 'num'], ['Group commits', 'num']],
          b.shards.map((s) => {
            const recent = intervalMeanMs(sampler.points, (p) => p.fsync.get(String(s.shard)));
            const last = recent[recent.length - 1];
            return h(
              'tr',
              { 'data-shard': s.shard },
              h('td', { class: 'num' }, s.shard),
              h('td', null, s.cpu === null ? '–' : `${s.cpu}${s.pinned ? ' (pinned)' : ''}`),
              h('td', { class: 'num' }, s.partitions),
              h('td', { class: 'num' }, fmtBytes(s.size_bytes)),
              h('td', null, meter(s.ring.request_used_bytes, s.ring.request_capacity_bytes)),
              h('td', null, meter(s.ring.completion_used_bytes, s.ring.completion_capacity_bytes)),
              h('td', { class: 'num' }, fmtNum(s.fsync_count)),
              h('td', { class: 'num', 'data-testid': 'fsync-mean' }, s.fsync_count > 0 ? fmtMs(s.fsync_total_ms / s.fsync_count) : '–'),
              h('td', { class: 'num' }, last === undefined ? '–' : fmtMs(last[1])),
              h('td', { class: 'num' }, fmtNum(s.drains)),
            );
          }),
          'shards-table',
          'no shard answered',
        ),
      );
      const p = sampler.points[sampler.points.length - 1];
      fill(connBox, p === undefined ? h('span', { class: 'muted' }, 'waiting for /metrics…') : [...p.connections].map(([k, v]) => card(k.replace(/_/g, ' '), fmtNum(v))));
    } catch (err) {
      status.error(err);
    }
  });

  const el = h(
    'section',
    null,
    h('h1', null, 'Broker'),
    status.el,
    cards,
    h('div', { class: 'panel' }, h('h2', null, 'Shards'), h('p', { class: 'hint' }, 'Each shard is a worker thread that owns its partitions’ files; the rings carry appends and reads between it and the main thread.'), shardsBox),
    h('div', { class: 'panel' }, h('h2', null, 'Connections'), connBox),
  );
  return { title: 'Broker', el, refresh };
}
