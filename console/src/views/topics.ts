// Topics: the list with partitions, records and size on disk, and a form to create one.

import { api, enc, type TopicRow } from '../api.js';
import { fill, fmtBytes, fmtNum, h } from '../dom.js';
import { Status, single, table, type View } from '../view.js';

export function topicsView(navigate: (hash: string) => void): View {
  const showInternal = h('input', { type: 'checkbox', id: 'show-internal' });
  const tableBox = h('div', { class: 'table-box' });
  const listStatus = new Status('topics-status');

  const name = h('input', { name: 'name', placeholder: 'orders', 'data-testid': 'create-topic-name', autocomplete: 'off' });
  const partitions = h('input', { name: 'partitions', type: 'number', min: 1, max: 10000, value: 1, 'data-testid': 'create-topic-partitions' });
  const policy = h('select', { name: 'cleanup.policy' }, h('option', { value: 'delete' }, 'delete'), h('option', { value: 'compact' }, 'compact'), h('option', { value: 'compact,delete' }, 'compact,delete'));
  const retention = h('input', { name: 'retention.ms', type: 'number', min: -1, placeholder: 'broker default' });
  const formStatus = new Status('create-topic-status');
  const form = h(
    'form',
    { class: 'inline-form', 'data-testid': 'create-topic-form' },
    h('label', null, 'Name', name),
    h('label', null, 'Partitions', partitions),
    h('label', null, 'cleanup.policy', policy),
    h('label', null, 'retention.ms', retention),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'create-topic-submit' }, 'Create topic'),
    formStatus.el,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const configs: Record<string, string> = { 'cleanup.policy': policy.value };
    if (retention.value !== '') configs['retention.ms'] = retention.value;
    formStatus.clear();
    api
      .post('/topics', { name: name.value.trim(), partitions: Number(partitions.value), configs })
      .then(() => {
        formStatus.ok(`created ${name.value.trim()}`);
        navigate(`#/topics/${enc(name.value.trim())}`);
      })
      .catch((err: unknown) => formStatus.error(err));
  });

  const refresh = single(async () => {
    try {
      const rows = await api.get<TopicRow[]>('/stats/topics');
      listStatus.clear();
      const shown = rows.filter((r) => showInternal.checked || !r.internal);
      fill(
        tableBox,
        table(
          ['Topic', ['Partitions', 'num'], ['Records', 'num'], ['Size on disk', 'num'], 'Cleanup', ''],
          shown.map((r) =>
            h(
              'tr',
              { 'data-topic': r.name },
              h('td', null, h('a', { href: `#/topics/${enc(r.name)}` }, r.name), r.internal ? h('span', { class: 'tag' }, 'internal') : null),
              h('td', { class: 'num' }, r.partition_count),
              h('td', { class: 'num' }, fmtNum(r.records)),
              h('td', { class: 'num' }, fmtBytes(r.size_bytes)),
              h('td', null, r.cleanup_policy),
              h('td', { class: 'actions' }, h('a', { href: `#/tail/${enc(r.name)}`, class: 'button small' }, 'Live tail')),
            ),
          ),
          'topics-table',
          'no topics yet: create one above',
        ),
      );
    } catch (err) {
      listStatus.error(err);
    }
  });
  showInternal.addEventListener('change', () => void refresh());

  const el = h(
    'section',
    null,
    h('h1', null, 'Topics'),
    h('div', { class: 'panel' }, h('h2', null, 'New topic'), form),
    h('div', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', null, 'All topics'), h('label', { class: 'check' }, showInternal, 'show internal')), listStatus.el, tableBox),
  );
  return { title: 'Topics', el, refresh };
}
