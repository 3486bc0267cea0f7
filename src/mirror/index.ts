// The mirror's public surface: `samsa mirror` (src/cli/commands/mirror.ts) and the
// broker's `mirror.target` (src/server.ts) both start a Mirror. Owns: nothing but
// the exports.

export { Mirror, MirrorFatalError } from './mirror.js';
export type { MirrorLogger, MirrorOptions, MirrorState, MirrorStatus, PartitionStatus } from './mirror.js';
export { checkpointTopic, isMirrorInternalTopic } from './checkpoints.js';
// The client's Kafka-property mapping, for the broker's `mirror.target.<property>` settings
// (server.ts reaches the client only through here).
export { ClientPropertyError, clientOptionsFromProperties } from '../client/kafka-properties.js';
