// One transaction coordinator and producer-id allocator per engine, shared by every
// listener (TCP and WebSocket handlers over the same engine must see the same
// transactions, and ids must never repeat between them).
// Owns: that sharing. Must not hold anything else.

import type { Engine } from '../broker/engine-api.js';
import type { GroupServices } from '../groups/index.js';
import { TransactionCoordinator } from './coordinator.js';
import type { TxnCoordinatorOptions } from './coordinator.js';
import { ProducerIdAllocator } from './producer-id-allocator.js';

export interface TxnServices {
  readonly coordinator: TransactionCoordinator;
  readonly producerIds: ProducerIdAllocator;
}

const byEngine = new WeakMap<Engine, TxnServices>();

/** The transaction services of an engine; options apply when the first handler creates them. */
export function txnServicesFor(engine: Engine, groups: GroupServices, opts: Partial<TxnCoordinatorOptions> = {}, log?: (msg: string) => void): TxnServices {
  let s = byEngine.get(engine);
  if (s === undefined) {
    const producerIds = new ProducerIdAllocator();
    s = { producerIds, coordinator: new TransactionCoordinator(engine, groups.offsets, producerIds, opts, log) };
    byEngine.set(engine, s);
  }
  return s;
}
