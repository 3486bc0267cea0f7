// The consumer group coordinator of this single broker (Kafka's classic group
// protocol: JoinGroup / SyncGroup / Heartbeat / LeaveGroup, with offsets in
// OffsetStore). Owns: group membership state, rebalances, session expiry. Must not
// touch sockets or wire formats (the apis/NN-*.ts files translate).
//
// States, as in Kafka's GroupCoordinator:
//   Empty → PreparingRebalance (a member joins; waits until every known member has
//   rejoined, or the longest rebalance timeout) → CompletingRebalance (join answered:
//   the leader gets the members; waits for the leader's SyncGroup) → Stable
//   (assignments handed out). A leave, a session expiry or a new member sends a
//   Stable or CompletingRebalance group back to PreparingRebalance.
// Simplifications: no KIP-394 MEMBER_ID_REQUIRED round trip (a new member gets its
// id in the first answer, which clients accept), and static membership
// (group.instance.id) is recorded but not used to skip rebalances.
//
// Every timer is bounded by a client-given timeout (clamped here) and unref'd.

import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../wire/errors.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface CoordinatorOptions {
  /** Kafka's group.min.session.timeout.ms / group.max.session.timeout.ms. */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /**
   * Kafka's group.initial.rebalance.delay.ms: the first rebalance of an empty group
   * waits this long for more members, and each member that joins meanwhile extends the
   * wait by as much again, up to the rebalance timeout (Kafka's InitialDelayedJoin).
   */
  initialRebalanceDelayMs: number;
  /** Kafka's group.max.size. */
  maxGroupSize: number;
}

export const DEFAULT_COORDINATOR_OPTIONS: Readonly<CoordinatorOptions> = {
  minSessionTimeoutMs: 1_000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 3_000,
  maxGroupSize: 1_000,
};

export interface Protocol {
  name: string;
  metadata: Uint8Array;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Uint8Array }>;
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Uint8Array;
}

interface Member {
  readonly memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: Protocol[];
  assignment: Uint8Array;
  /** In-process members (REST consumers) hear of a rebalance at once instead of at their next heartbeat. */
  onRebalance: (() => void) | null;
  pendingJoin: ((r: JoinResult) => void) | null;
  pendingSync: ((r: SyncResult) => void) | null;
  sessionTimer: NodeJS.Timeout | null;
}

interface Group {
  readonly groupId: string;
  state: GroupState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  members: Map<string, Member>;
  rebalanceTimer: NodeJS.Timeout | null;
  /** While the initial delay runs: when it must end at the latest (ms); -1 otherwise. */
  initialDelayDeadlineMs: number;
}

const EMPTY = new Uint8Array(0);

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  /**
   * Called (synchronously) when the group starts a rebalance while this member is in
   * it; only in-process members set it (src/groups/member.ts), Kafka clients learn
   * from their heartbeat answer.
   */
  onRebalance?: () => void;
}

export interface GroupSummary {
  groupId: string;
  state: GroupState;
  protocolType: string;
  protocolName: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Uint8Array; assignment: Uint8Array }>;
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly opts: CoordinatorOptions;
  private closed = false;
  /** Set by the group services: true when a KIP-848 consumer group with members holds the id. */
  foreignGroupInUse: (groupId: string) => boolean = () => false;

  constructor(opts: Partial<CoordinatorOptions> = {}) {
    this.opts = { ...DEFAULT_COORDINATOR_OPTIONS, ...opts };
  }

  private joinError(errorCode: number, memberId: string): JoinResult {
    return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
  }

  join(req: JoinRequest): Promise<JoinResult> {
    if (this.closed) return Promise.resolve(this.joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId));
    if (req.groupId === '') return Promise.resolve(this.joinError(ErrorCode.INVALID_GROUP_ID, req.memberId));
    if (req.sessionTimeoutMs < this.opts.minSessionTimeoutMs || req.sessionTimeoutMs > this.opts.maxSessionTimeoutMs) {
      return Promise.resolve(this.joinError(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId));
    }
    if (req.protocols.length === 0 || req.protocolType === '') return Promise.resolve(this.joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    // A consumer-protocol group with members is not joined by classic members (no online migration).
    if (this.foreignGroupInUse(req.groupId)) return Promise.resolve(this.joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    let group = this.groups.get(req.groupId);
    if (group === undefined) {
      group = { groupId: req.groupId, state: 'Empty', generationId: 0, protocolType: null, protocolName: null, leaderId: null, members: new Map(), rebalanceTimer: null, initialDelayDeadlineMs: -1 };
      this.groups.set(req.groupId, group);
    }
    let member: Member | undefined;
    if (req.memberId !== '') {
      member = group.members.get(req.memberId);
      if (member === undefined) return Promise.resolve(this.joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
    }
    if (group.members.size > 0 && (group.protocolType !== req.protocolType || !this.supportsCommonProtocol(group, req.protocols, member?.memberId))) {
      return Promise.resolve(this.joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    }
    const isNew = member === undefined;
    if (member === undefined) {
      if (group.members.size >= this.opts.maxGroupSize) return Promise.resolve(this.joinError(ErrorCode.GROUP_MAX_SIZE_REACHED, ''));
      const memberId = `${req.clientId || 'member'}-${randomUUID()}`;
      member = {
        memberId,
        groupInstanceId: req.groupInstanceId,
        clientId: req.clientId,
        clientHost: req.clientHost,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        protocols: req.protocols,
        assignment: EMPTY,
        onRebalance: req.onRebalance ?? null,
        pendingJoin: null,
        pendingSync: null,
        sessionTimer: null,
      };
      group.members.set(memberId, member);
    } else {
      member.protocols = req.protocols;
      member.sessionTimeoutMs = req.sessionTimeoutMs;
      member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
      member.clientHost = req.clientHost;
      member.onRebalance = req.onRebalance ?? null;
    }
    group.protocolType = req.protocolType;
    const m = member;
    const g = group;
    return new Promise<JoinResult>((resolve) => {
      // A repeated join replaces the earlier one, which is told to rejoin.
      m.pendingJoin?.(this.joinError(ErrorCode.REBALANCE_IN_PROGRESS, m.memberId));
      m.pendingJoin = resolve;
      this.touch(g, m);
      if (g.state !== 'PreparingRebalance') this.prepareRebalance(g);
      else if (g.initialDelayDeadlineMs >= 0 && isNew) this.armInitialDelay(g, this.opts.initialRebalanceDelayMs);
      else this.maybeCompleteJoin(g);
    });
  }

  /** True when the protocols have a name every other member also supports. */
  private supportsCommonProtocol(group: Group, protocols: Protocol[], self: string | undefined): boolean {
    return protocols.some((p) => [...group.members.values()].every((m) => m.memberId === self || m.protocols.some((q) => q.name === p.name)));
  }

  private prepareRebalance(group: Group): void {
    const wasEmpty = group.state === 'Empty';
    group.state = 'PreparingRebalance';
    for (const m of group.members.values()) {
      if (m.pendingSync !== null) {
        const s = m.pendingSync;
        m.pendingSync = null;
        s({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, protocolType: group.protocolType, protocolName: group.protocolName, assignment: EMPTY });
      }
    }
    if (group.rebalanceTimer !== null) clearTimeout(group.rebalanceTimer);
    for (const m of group.members.values()) if (m.pendingJoin === null) m.onRebalance?.();
    let waitMs = 0;
    for (const m of group.members.values()) waitMs = Math.max(waitMs, this.clampTimeout(m.rebalanceTimeoutMs));
    if (wasEmpty) {
      const delayMs = this.opts.initialRebalanceDelayMs;
      if (delayMs > 0) {
        // Members starting together land in one generation instead of one rebalance each.
        group.initialDelayDeadlineMs = Date.now() + Math.max(delayMs, waitMs);
        this.armInitialDelay(group, delayMs);
        return;
      }
      this.maybeCompleteJoin(group);
      return;
    }
    group.rebalanceTimer = setTimeout(() => this.completeJoin(group), waitMs);
    group.rebalanceTimer.unref();
    this.maybeCompleteJoin(group);
  }

  private clampTimeout(ms: number): number {
    return Math.min(Math.max(ms > 0 ? ms : 0, 1), this.opts.maxSessionTimeoutMs);
  }

  /** (Re)starts the initial-delay timer: `delayMs`, but never past the group's deadline. */
  private armInitialDelay(group: Group, delayMs: number): void {
    if (group.rebalanceTimer !== null) clearTimeout(group.rebalanceTimer);
    const ms = Math.max(0, Math.min(delayMs, group.initialDelayDeadlineMs - Date.now()));
    group.rebalanceTimer = setTimeout(() => this.completeJoin(group), ms);
    group.rebalanceTimer.unref();
  }

  /** Completes the join phase early when every member has rejoined (never during the initial delay). */
  private maybeCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    if (group.initialDelayDeadlineMs >= 0) return;
    for (const m of group.members.values()) if (m.pendingJoin === null) return;
    this.completeJoin(group);
  }

  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    group.initialDelayDeadlineMs = -1;
    if (group.rebalanceTimer !== null) {
      clearTimeout(group.rebalanceTimer);
      group.rebalanceTimer = null;
    }
    // Members that did not rejoin in time leave the group.
    for (const m of [...group.members.values()]) if (m.pendingJoin === null) this.removeMember(group, m);
    group.generationId++;
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.protocolName = null;
      group.leaderId = null;
      return;
    }
    const members = [...group.members.values()];
    if (group.leaderId === null || !group.members.has(group.leaderId)) group.leaderId = members[0]!.memberId;
    const leader = group.members.get(group.leaderId)!;
    group.protocolName = leader.protocols.find((p) => members.every((m) => m.protocols.some((q) => q.name === p.name)))?.name ?? leader.protocols[0]!.name;
    group.state = 'CompletingRebalance';
    const metadataOf = (m: Member) => m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? EMPTY;
    for (const m of members) {
      const resolve = m.pendingJoin!;
      m.pendingJoin = null;
      m.assignment = EMPTY;
      this.touch(group, m);
      resolve({
        errorCode: ErrorCode.NONE,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leader: group.leaderId,
        memberId: m.memberId,
        members: m.memberId === group.leaderId ? members.map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, metadata: metadataOf(x) })) : [],
      });
    }
  }

  sync(groupId: string, generationId: number, memberId: string, assignments: ReadonlyArray<{ memberId: string; assignment: Uint8Array }>): Promise<SyncResult> {
    const fail = (errorCode: number): Promise<SyncResult> => Promise.resolve({ errorCode, protocolType: null, protocolName: null, assignment: EMPTY });
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    if (group.state === 'PreparingRebalance') return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    this.touch(group, member);
    const answer = (m: Member): SyncResult => ({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment });
    if (group.state === 'Stable') return Promise.resolve(answer(member));
    return new Promise<SyncResult>((resolve) => {
      member.pendingSync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, protocolType: null, protocolName: null, assignment: EMPTY });
      member.pendingSync = resolve;
      if (memberId !== group.leaderId) return;
      for (const a of assignments) {
        const target = group.members.get(a.memberId);
        if (target !== undefined) target.assignment = a.assignment;
      }
      group.state = 'Stable';
      for (const m of group.members.values()) {
        if (m.pendingSync === null) continue;
        const s = m.pendingSync;
        m.pendingSync = null;
        s(answer(m));
      }
    });
  }

  heartbeat(groupId: string, generationId: number, memberId: string): number {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.touch(group, member);
    if (group.state === 'PreparingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    return ErrorCode.NONE;
  }

  leave(groupId: string, memberId: string): number {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMember(group, member);
    this.afterMembershipChange(group);
    return ErrorCode.NONE;
  }

  /**
   * Checks a commit's member and generation, as Kafka's ClassicGroup.validateOffsetCommit:
   * generation < 0 without a member id is a commit from outside any group (admin,
   * simple consumer), accepted only while the group has no members. A member of the
   * current generation may commit while the group prepares a rebalance: clients
   * commit the offsets of the partitions they are about to give up then (librdkafka
   * and the Java consumer do, on revoke), and learn of the rebalance from heartbeats.
   * Only a group completing a rebalance (joins answered, no assignments yet) refuses
   * with REBALANCE_IN_PROGRESS.
   */
  validateCommit(groupId: string, generationId: number, memberId: string): number {
    const group = this.groups.get(groupId);
    if (generationId < 0 && memberId === '') {
      return group !== undefined && group.members.size > 0 ? ErrorCode.UNKNOWN_MEMBER_ID : ErrorCode.NONE;
    }
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    this.touch(group, member);
    return ErrorCode.NONE;
  }

  describe(groupId: string): GroupSummary | undefined {
    const group = this.groups.get(groupId);
    if (group === undefined) return undefined;
    const name = group.protocolName;
    return {
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolName: group.state === 'Stable' || group.state === 'CompletingRebalance' ? (name ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: m.protocols.find((p) => p.name === name)?.metadata ?? EMPTY,
        assignment: m.assignment,
      })),
    };
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /** Forgets an empty group; NON_EMPTY_GROUP while it has members. */
  delete(groupId: string): number {
    const group = this.groups.get(groupId);
    if (group === undefined) return ErrorCode.NONE;
    if (group.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    if (group.rebalanceTimer !== null) clearTimeout(group.rebalanceTimer);
    group.state = 'Dead';
    this.groups.delete(groupId);
    return ErrorCode.NONE;
  }

  /** Ends every pending join/sync and timer (broker shutdown). */
  close(): void {
    this.closed = true;
    for (const g of this.groups.values()) {
      if (g.rebalanceTimer !== null) clearTimeout(g.rebalanceTimer);
      for (const m of [...g.members.values()]) {
        m.pendingJoin?.(this.joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, m.memberId));
        m.pendingSync?.({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, protocolType: null, protocolName: null, assignment: EMPTY });
        if (m.sessionTimer !== null) clearTimeout(m.sessionTimer);
      }
    }
    this.groups.clear();
  }

  /** Restarts a member's session timer (any request from it proves it alive). */
  private touch(group: Group, member: Member): void {
    if (member.sessionTimer !== null) clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => {
      member.sessionTimer = null;
      if (group.members.get(member.memberId) !== member) return;
      // A member waiting in a join is kept until the rebalance completes.
      if (member.pendingJoin !== null) return;
      this.removeMember(group, member);
      this.afterMembershipChange(group);
    }, this.clampTimeout(member.sessionTimeoutMs));
    member.sessionTimer.unref();
  }

  private removeMember(group: Group, member: Member): void {
    group.members.delete(member.memberId);
    if (member.sessionTimer !== null) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
    member.pendingJoin?.(this.joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    member.pendingJoin = null;
    member.pendingSync?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, protocolType: null, protocolName: null, assignment: EMPTY });
    member.pendingSync = null;
    if (group.leaderId === member.memberId) group.leaderId = null;
  }

  private afterMembershipChange(group: Group): void {
    if (group.members.size === 0) {
      if (group.rebalanceTimer !== null) clearTimeout(group.rebalanceTimer);
      group.rebalanceTimer = null;
      if (group.state !== 'Empty') group.generationId++;
      group.state = 'Empty';
      group.protocolName = null;
      group.leaderId = null;
      return;
    }
    if (group.state === 'PreparingRebalance') this.maybeCompleteJoin(group);
    else this.prepareRebalance(group);
  }
}
