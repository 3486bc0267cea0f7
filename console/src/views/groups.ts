// Consumer groups: the list with state, members and total lag; one group with its
// members, their assignments, and committed offsets with lag per partition.

import { api, enc, type GroupDetail, type GroupRow } from '../api.js';
import { fill, fmtNum, fmtTime, h } from '../dom.js';
import { Status, card, single, table, type View } from '../view.js';

function stateTag(state: string): HTMLElement {
  return h('span', { class: `tag state-${state.toLowerCase()}` }, state);
}

export function groupsView(): View {
  const box = h('div', { class: 'table-box' });
  const status = new Status('groups-status');
  const refresh = single(async () => {
    try {
      const { groups } = await api.get<{ groups: GroupRow[] }>('/groups');
      status.clear();
      fill(
        box,
        table(
          ['Group', 'State', ['Members', 'num'], 'Topics', ['Lag', 'num']],
          groups.map((g) =>
            h(
              'tr',
              { 'data-group': g.group_id },
              h('td', null, h('a', { href: `#/groups/${enc(g.group_id)}` }, g.group_id)),
              h('td', null, stateTag(g.state)),
              h('td', { class: 'num' }, g.members),
              h('td', null, g.topics.join(', ')),
              h('td', { class: `num ${g.lag > 0 ? 'lagging' : ''}`, 'data-testid': 'group-lag' }, fmtNum(g.lag)),
            ),
          ),
          'groups-table',
          'no consumer groups yet: groups appear when a Kafka client joins one or commits offsets',
        ),
      );
    } catch (err) {
      status.error(err);
    }
  });
  return { title: 'Consumer groups', el: h('section', null, h('h1', null, 'Consumer groups'), status.el, h('div', { class: 'panel' }, box)), refresh };
}

export function groupView(group: string, navigate: (hash: string) => void): View {
  const path = `/groups/${enc(group)}`;
  const cards = h('div', { class: 'cards' });
  const membersBox = h('div', { class: 'table-box' });
  const offsetsBox = h('div', { class: 'table-box' });
  const status = new Status('group-status');
  const deleteStatus = new Status('group-delete-status');
  const deleteButton = h('button', { type: 'button', class: 'danger' }, 'Delete group');
  deleteButton.addEventListener('click', () => {
    api
      .del(path)
      .then(() => navigate('#/groups'))
      .catch((err: unknown) => deleteStatus.error(err));
  });

  const refresh = single(async () => {
    try {
      const g = await api.get<GroupDetail>(path);
      status.clear();
      deleteButton.disabled = g.members.length > 0;
      deleteButton.title = g.members.length > 0 ? 'stop the members first' : 'delete the group and its committed offsets';
      fill(cards, card('State', stateTag(g.state)), card('Members', String(g.members.length)), card('Protocol', g.protocol || '–'), card('Total lag', fmtNum(g.lag), 'group-total-lag'));
      fill(
        membersBox,
        table(
          ['Member', 'Client', 'Host', 'Assigned partitions'],
          g.members.map((m) =>
            h(
              'tr',
              null,
              h('td', { class: 'mono' }, m.member_id),
              h('td', null, m.client_id),
              h('td', null, m.client_host),
              h('td', null, m.assignment === null ? `${m.assignment_bytes} bytes (not a consumer assignment)` : m.assignment.map((a) => `${a.topic} [${a.partitions.join(', ')}]`).join('; ') || 'none'),
            ),
          ),
          'members-table',
          'no members: the group is empty',
        ),
      );
      const maxLag = Math.max(1, ...g.offsets.map((o) => o.lag ?? 0));
      fill(
        offsetsBox,
        table(
          ['Topic', ['Partition', 'num'], ['Committed', 'num'], ['Latest offset', 'num'], ['Lag', 'num'], '', 'Committed at'],
          g.offsets.map((o) => {
            const bar = h('span', { class: 'lagbar-fill' });
            bar.style.width = `${(((o.lag ?? 0) / maxLag) * 100).toFixed(1)}%`;
            return h(
              'tr',
              { 'data-offset': `${o.topic}-${o.partition}` },
              h('td', null, h('a', { href: `#/topics/${enc(o.topic)}` }, o.topic)),
              h('td', { class: 'num' }, o.partition),
              h('td', { class: 'num' }, o.committed_offset === null ? 'none' : fmtNum(o.committed_offset)),
              h('td', { class: 'num' }, fmtNum(o.end_offset)),
              h('td', { class: `num ${(o.lag ?? 0) > 0 ? 'lagging' : ''}`, 'data-testid': 'partition-lag' }, o.lag === null ? '–' : fmtNum(o.lag)),
              h('td', { class: 'lagbar' }, bar),
              h('td', null, o.commit_timestamp === null ? '' : `${new Date(o.commit_timestamp).toLocaleDateString()} ${fmtTime(o.commit_timestamp)}`),
            );
          }),
          'offsets-table',
          'no committed offsets',
        ),
      );
    } catch (err) {
      status.error(err);
    }
  });

  const el = h(
    'section',
    null,
    h('h1', null, h('a', { href: '#/groups', class: 'crumb' }, 'Consumer groups'), ' / ', group),
    status.el,
    cards,
    h('div', { class: 'panel' }, h('h2', null, 'Members and assignments'), membersBox),
    h('div', { class: 'panel' }, h('h2', null, 'Committed offsets and lag'), offsetsBox),
    h('div', { class: 'panel danger-zone' }, h('h2', null, 'Delete'), h('div', { class: 'inline-form' }, deleteButton, deleteStatus.el)),
  );
  return { title: group, el, refresh };
}
