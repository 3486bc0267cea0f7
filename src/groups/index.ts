// One group coordinator (classic groups), one consumer-group coordinator (KIP-848
// groups) and one offset store per engine, shared by every listener (TCP and
// WebSocket handlers over the same engine must see the same groups). Owns: that
// sharing, and telling each coordinator which group ids the other holds. Must not
// hold anything else.

import type { Engine } from '../broker/engine-api.js';
import { type CoordinatorOptions, GroupCoordinator } from './coordinator.js';
import { type ConsumerGroupOptions, ConsumerGroupCoordinator } from './consumer-group.js';
import { OffsetStore } from './offset-store.js';

export interface GroupServices {
  readonly coordinator: GroupCoordinator;
  readonly consumerGroups: ConsumerGroupCoordinator;
  readonly offsets: OffsetStore;
}

export interface GroupServicesOptions extends Partial<CoordinatorOptions> {
  consumer?: Partial<ConsumerGroupOptions>;
}

const byEngine = new WeakMap<Engine, GroupServices>();

/** The group services of an engine; options apply when the first handler creates them. */
export function groupServicesFor(engine: Engine, opts: GroupServicesOptions = {}): GroupServices {
  let s = byEngine.get(engine);
  if (s === undefined) {
    const { consumer, ...classic } = opts;
    const coordinator = new GroupCoordinator(classic);
    const consumerGroups = new ConsumerGroupCoordinator(
      {
        topic: (name) => {
          const t = engine.topicLayout(name);
          return t === undefined ? undefined : { topicId: t.topicId, partitions: t.partitions };
        },
        topicNames: () => engine.listTopics().map((t) => t.name),
        nameOf: (topicId) => engine.topicLayout(topicId, true)?.name,
      },
      consumer,
    );
    coordinator.foreignGroupInUse = (groupId) => consumerGroups.inUse(groupId);
    consumerGroups.classicGroupInUse = (groupId) => (coordinator.describe(groupId)?.members.length ?? 0) > 0;
    s = { coordinator, consumerGroups, offsets: new OffsetStore(engine) };
    byEngine.set(engine, s);
  }
  return s;
}
