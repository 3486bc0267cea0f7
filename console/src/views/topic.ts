// One topic: partitions with offsets and size on disk, its configs (edit, reset to
// the broker default), growing it, deleting it.

import { api, enc, type ConfigRow, type TopicStats } from '../api.js';
import { fill, fmtBytes, fmtNum, h } from '../dom.js';
import { Status, card, single, table, type View } from '../view.js';

export function topicView(topic: string, navigate: (hash: string) => void): View {
  const base = `/topics/${enc(topic)}`;
  const cards = h('div', { class: 'cards' });
  const partBox = h('div', { class: 'table-box' });
  const status = new Status('topic-status');

  // ---- configs: loaded on open and after each change, not on every tick (edits in progress stay)
  const configBox = h('div', { class: 'table-box' });
  const configStatus = new Status('config-status');
  let wasOpen = false;
  const configRow = (c: ConfigRow): HTMLElement => {
    const input = h('input', { value: c.value, 'data-config': c.name, 'aria-label': c.name });
    const save = h('button', { type: 'button', class: 'small', disabled: true }, 'Save');
    input.addEventListener('input', () => {
      save.disabled = input.value === c.value;
    });
    const change = (value: string | null, done: string): void => {
      configStatus.clear();
      api
        .post(`${base}/configs`, { configs: { [c.name]: value } })
        .then(() => {
          configStatus.ok(done);
          return loadConfigs();
        })
        .catch((err: unknown) => configStatus.error(err));
    };
    save.addEventListener('click', () => change(input.value, `${c.name} = ${input.value}`));
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !save.disabled) change(input.value, `${c.name} = ${input.value}`);
    });
    const reset = c.is_default
      ? h('span', { class: 'muted' }, 'default')
      : h('button', { type: 'button', class: 'small', onclick: () => change(null, `${c.name} back to the broker default`) }, 'Reset');
    return h('tr', { class: c.is_default ? '' : 'overridden' }, h('td', { class: 'mono' }, c.name), h('td', null, input), h('td', { class: 'actions' }, save, ' ', reset));
  };
  const loadConfigs = async (): Promise<void> => {
    try {
      const rows = await api.get<ConfigRow[]>(`${base}/configs`);
      const applied = rows.filter((c) => c.applied);
      const passive = rows.filter((c) => !c.applied);
      // Overridden settings first: they are what makes this topic differ from the broker's defaults.
      applied.sort((a, b) => Number(a.is_default) - Number(b.is_default));
      const details = h('details', { class: 'passive' }, h('summary', null, `${passive.length} more Kafka settings: kept and described for compatibility, not applied by Samsa`), table(['Setting', 'Value', ''], passive.map(configRow), 'passive-configs-table'));
      if (wasOpen) details.open = true;
      details.addEventListener('toggle', () => {
        wasOpen = details.open;
      });
      fill(configBox, table(['Setting', 'Value', ''], applied.map(configRow), 'configs-table'), passive.length > 0 ? details : null);
    } catch (err) {
      configStatus.error(err);
    }
  };

  // ---- grow
  const grow = h('input', { type: 'number', min: 1, 'aria-label': 'new partition count', 'data-testid': 'grow-partitions' });
  const growStatus = new Status('grow-status');
  const growForm = h('form', { class: 'inline-form' }, h('label', null, 'Partitions (total)', grow), h('button', { type: 'submit' }, 'Add partitions'), growStatus.el);
  growForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    growStatus.clear();
    api
      .post(`${base}/partitions`, { partitions: Number(grow.value) })
      .then(() => {
        growStatus.ok(`${topic} has ${grow.value} partitions`);
        void refresh();
      })
      .catch((err: unknown) => growStatus.error(err));
  });

  // ---- delete, confirmed by typing the name
  const confirmName = h('input', { placeholder: topic, 'aria-label': 'type the topic name to confirm', 'data-testid': 'delete-confirm' });
  const deleteStatus = new Status('delete-status');
  const deleteButton = h('button', { type: 'submit', class: 'danger', disabled: true }, 'Delete topic');
  confirmName.addEventListener('input', () => {
    deleteButton.disabled = confirmName.value !== topic;
  });
  const deleteForm = h('form', { class: 'inline-form' }, h('label', null, 'Type the name to delete it', confirmName), deleteButton, deleteStatus.el);
  deleteForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    api
      .del(base)
      .then(() => navigate('#/topics'))
      .catch((err: unknown) => deleteStatus.error(err));
  });

  const refresh = single(async () => {
    try {
      const t = await api.get<TopicStats>(`${base}/stats`);
      status.clear();
      if (grow.value === '') grow.value = String(t.partition_count + 1);
      fill(cards, card('Partitions', String(t.partition_count), 'topic-partitions'), card('Records', fmtNum(t.records), 'topic-records'), card('Size on disk', fmtBytes(t.size_bytes)), card('cleanup.policy', t.cleanup_policy));
      fill(
        partBox,
        table(
          [['Partition', 'num'], ['Earliest offset', 'num'], ['Latest offset', 'num'], ['Records', 'num'], ['Size on disk', 'num'], ['Segments', 'num'], ['Shard', 'num']],
          t.partitions.map((p) =>
            h(
              'tr',
              null,
              h('td', { class: 'num' }, p.partition),
              h('td', { class: 'num' }, fmtNum(p.beginning_offset)),
              h('td', { class: 'num' }, fmtNum(p.end_offset)),
              h('td', { class: 'num' }, fmtNum(p.end_offset - p.beginning_offset)),
              h('td', { class: 'num' }, fmtBytes(p.size_bytes)),
              h('td', { class: 'num' }, fmtNum(p.segments)),
              h('td', { class: 'num' }, p.shard ?? '–'),
            ),
          ),
          'partitions-table',
        ),
      );
    } catch (err) {
      status.error(err);
    }
  });
  void loadConfigs();

  const el = h(
    'section',
    null,
    h('div', { class: 'title-row' }, h('h1', null, h('a', { href: '#/topics', class: 'crumb' }, 'Topics'), ' / ', topic), h('a', { href: `#/tail/${enc(topic)}`, class: 'button primary', 'data-testid': 'open-tail' }, 'Live tail & produce')),
    status.el,
    cards,
    h('div', { class: 'panel' }, h('h2', null, 'Partitions'), partBox, growForm),
    h('div', { class: 'panel' }, h('h2', null, 'Configuration'), configStatus.el, configBox),
    h('div', { class: 'panel danger-zone' }, h('h2', null, 'Delete'), deleteForm),
  );
  return { title: topic, el, refresh };
}
