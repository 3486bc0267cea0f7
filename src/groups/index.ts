// One group coordinator and offset store per engine, shared by every listener
// (TCP and WebSocket handlers over the same engine must see the same groups).
// Owns: that sharing. Must not hold anything else.

import type { Engine } from '../broker/engine-api.js';
import { type CoordinatorOptions, GroupCoordinator } from './coordinator.js';
import { OffsetStore } from './offset-store.js';

export interface GroupServices {
  readonly coordinator: GroupCoordinator;
  readonly offsets: OffsetStore;
}

const byEngine = new WeakMap<Engine, GroupServices>();

/** The group services of an engine; options apply when the first handler creates them. */
export function groupServicesFor(engine: Engine, opts: Partial<CoordinatorOptions> = {}): GroupServices {
  let s = byEngine.get(engine);
  if (s === undefined) {
    s = { coordinator: new GroupCoordinator(opts), offsets: new OffsetStore(engine) };
    byEngine.set(engine, s);
  }
  return s;
}
