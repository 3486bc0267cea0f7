// An in-process member of a classic consumer group: what a Kafka consumer client
// does over the wire (JoinGroup, the leader's assignment, SyncGroup, Heartbeat,
// LeaveGroup), done by function calls on this broker's GroupCoordinator. The REST
// Proxy consumer instances (src/http/rest-consumers.ts) are such members, so a
// kcat, kafkajs or Java consumer in the same group shares the partitions with them.
// Owns: one member's join/sync/heartbeat loop and, when it leads, the assignment.
// Must not fetch records or commit offsets itself: the owner does that in
// onAssigned/onRevoking (where an auto-committing consumer commits).
//
// The loop lives as long as the member: each turn joins, syncs, then heartbeats
// until the group rebalances (the coordinator calls onRebalance at once), the
// subscription or a subscribed topic's partition count changes (checked each
// heartbeat, as a Java consumer's metadata refresh does), or stop() is called.
// Every wait is a timer or a coordinator answer bounded by the rebalance timeout.

import type { Engine } from '../broker/engine-api.js';
import { ErrorCode } from '../wire/errors.js';
import { logger } from '../util/logger.js';
import type { GroupCoordinator, JoinResult } from './coordinator.js';
import { ASSIGNORS, CONSUMER_PROTOCOL_TYPE, type TopicPartitions, assign, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, isAssignor } from './consumer-protocol.js';

export interface GroupMemberOptions {
  groupId: string;
  clientId: string;
  clientHost: string;
  /** Default 30 s: the coordinator drops the member if the loop stops heartbeating that long. */
  sessionTimeoutMs?: number;
  /** Default 60 s. */
  rebalanceTimeoutMs?: number;
  /** The subscribed topics, read at every join (a pattern's matches change). */
  topics(): string[];
  /** After each successful sync, with this member's partitions. */
  onAssigned(assignment: TopicPartitions[]): void;
  /**
   * Before rejoining or leaving, while the member still owns `assignment` in
   * `generationId` (an auto-committing owner commits here). `lost` is true when the
   * coordinator had already dropped the member: committing would be refused.
   */
  onRevoking(assignment: TopicPartitions[], lost: boolean): Promise<void>;
}

export type MemberPhase = 'joining' | 'syncing' | 'stable' | 'revoking' | 'stopped';

const SESSION_TIMEOUT_MS_DEFAULT = 30_000;
const REBALANCE_TIMEOUT_MS_DEFAULT = 60_000;
const HEARTBEAT_MS_MAX = 1_000;
const RETRY_MS_MIN = 100;
const RETRY_MS_MAX = 2_000;

export class GroupMember {
  memberId = '';
  generationId = -1;
  /** This member's partitions while stable; [] otherwise. */
  assignment: TopicPartitions[] = [];
  phase: MemberPhase = 'joining';
  /** The last error the coordinator answered a join or sync with (NONE once stable). */
  lastErrorCode: number = ErrorCode.NONE;
  private stopped = false;
  private rejoinWanted = false;
  private wake: (() => void) | null = null;
  private readonly done: Promise<void>;
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  /** Topics and their partition counts at the last join: a change means rejoin. */
  private joinedWith = '';

  constructor(
    private readonly coordinator: GroupCoordinator,
    private readonly engine: Pick<Engine, 'describeTopic'>,
    private readonly opts: GroupMemberOptions,
  ) {
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? SESSION_TIMEOUT_MS_DEFAULT;
    this.rebalanceTimeoutMs = opts.rebalanceTimeoutMs ?? REBALANCE_TIMEOUT_MS_DEFAULT;
    this.done = this.loop().catch((err: unknown) => {
      logger().error({ err, group: opts.groupId }, 'in-process group member failed');
      this.phase = 'stopped';
    });
  }

  /** Asks for a rejoin (the subscription changed). */
  rejoin(): void {
    this.rejoinWanted = true;
    this.wakeUp();
  }

  /** Revokes (onRevoking) and leaves the group; resolves when the loop has ended. */
  stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      // A join or sync in progress holds nothing yet: leaving ends it at once. A
      // first join has no member id to leave with; the loop leaves once it returns.
      if ((this.phase === 'joining' || this.phase === 'syncing') && this.memberId !== '') {
        this.coordinator.leave(this.opts.groupId, this.memberId);
        this.memberId = '';
      }
      this.wakeUp();
    }
    return this.done;
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private fingerprint(): string {
    const topics = [...new Set(this.opts.topics())].sort();
    return JSON.stringify(topics.map((t) => [t, this.engine.describeTopic(t)?.partitions ?? 0]));
  }

  private leaderAssignment(j: JoinResult): Array<{ memberId: string; assignment: Uint8Array }> {
    const members = j.members.map((m) => ({ memberId: m.memberId, topics: decodeSubscription(m.metadata) ?? [] }));
    // The coordinator picks a protocol every member offers; ours are all assignors we run.
    const assignor = isAssignor(j.protocolName) ? j.protocolName : 'range';
    const plan = assign(assignor, members, (t) => this.engine.describeTopic(t)?.partitions);
    return members.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment(plan.get(m.memberId) ?? []) }));
  }

  private async loop(): Promise<void> {
    let retryMs = 0;
    while (!this.stopped) {
      if (retryMs > 0) {
        await this.sleep(retryMs);
        if (this.stopped) break;
      }
      this.phase = 'joining';
      this.rejoinWanted = false;
      this.joinedWith = this.fingerprint();
      const metadata = encodeSubscription(this.opts.topics());
      const j = await this.coordinator.join({
        groupId: this.opts.groupId,
        memberId: this.memberId,
        groupInstanceId: null,
        clientId: this.opts.clientId,
        clientHost: this.opts.clientHost,
        sessionTimeoutMs: this.sessionTimeoutMs,
        rebalanceTimeoutMs: this.rebalanceTimeoutMs,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocols: ASSIGNORS.map((name) => ({ name, metadata })),
        onRebalance: () => this.rejoin(),
      });
      if (j.errorCode !== ErrorCode.NONE) {
        this.lastErrorCode = j.errorCode;
        if (j.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
        retryMs = Math.min(RETRY_MS_MAX, Math.max(RETRY_MS_MIN, retryMs * 2));
        continue;
      }
      this.memberId = j.memberId;
      this.generationId = j.generationId;
      if (this.stopped) break;
      this.phase = 'syncing';
      const assignments = j.leader === j.memberId ? this.leaderAssignment(j) : [];
      const s = await this.coordinator.sync(this.opts.groupId, j.generationId, j.memberId, assignments);
      if (this.stopped) break;
      if (s.errorCode !== ErrorCode.NONE) {
        this.lastErrorCode = s.errorCode;
        if (s.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
        // A rebalance that started meanwhile: rejoin at once (the join waits for it).
        retryMs = s.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || s.errorCode === ErrorCode.ILLEGAL_GENERATION ? 0 : Math.max(RETRY_MS_MIN, retryMs);
        continue;
      }
      retryMs = 0;
      this.lastErrorCode = ErrorCode.NONE;
      const subscribed = new Set(this.opts.topics());
      this.assignment = (decodeAssignment(s.assignment) ?? []).filter((a) => subscribed.has(a.topic) && a.partitions.length > 0);
      this.phase = 'stable';
      this.opts.onAssigned(this.assignment);
      let lost = false;
      const heartbeatMs = Math.min(HEARTBEAT_MS_MAX, Math.floor(this.sessionTimeoutMs / 3));
      while (!this.stopped && !this.rejoinWanted) {
        await this.sleep(heartbeatMs);
        if (this.stopped || this.rejoinWanted) break;
        const code = this.coordinator.heartbeat(this.opts.groupId, this.generationId, this.memberId);
        if (code === ErrorCode.UNKNOWN_MEMBER_ID) {
          lost = true;
          break;
        }
        if (code !== ErrorCode.NONE) break;
        if (this.fingerprint() !== this.joinedWith) break;
      }
      const owned = this.assignment;
      this.assignment = [];
      this.phase = 'revoking';
      await this.opts.onRevoking(owned, lost).catch((err: unknown) => logger().warn({ err, group: this.opts.groupId }, 'revoking partitions failed'));
      if (lost) this.memberId = '';
    }
    if (this.memberId !== '') this.coordinator.leave(this.opts.groupId, this.memberId);
    this.memberId = '';
    this.phase = 'stopped';
  }
}
