// The coordinator of KIP-848 consumer groups (group.protocol=consumer): members send
// ConsumerGroupHeartbeat, the broker computes the assignment (server-side assignors
// `uniform` and `range`) and hands it out by reconciliation. Owns: consumer-group
// membership, epochs, target assignments, reconciliation and the session and
// revocation timers. Must not touch sockets or wire formats (apis/68-*.ts and
// apis/69-*.ts translate), nor classic groups (coordinator.ts; the two only ask each
// other whether a group id is taken).
//
// Epochs, as in Kafka's group coordinator: the group epoch is bumped by every change
// of membership, subscription or subscribed-topic metadata; the target assignment is
// recomputed when it is behind the group epoch and takes its epoch. Each member then
// moves towards its target: partitions it must give up are revoked first (the member
// keeps its epoch and must report them gone, within its rebalance timeout, or it is
// fenced); only then does it take the target epoch and the partitions of its target
// that no other member still holds; the rest come on later heartbeats, as their
// owners release them.
//
// Not persisted: membership lives in memory (committed offsets persist in
// __consumer_offsets). After a restart a member's heartbeat gets UNKNOWN_MEMBER_ID,
// and Kafka's clients then rejoin at epoch 0 and resume from the committed offsets.
// No online migration between classic and consumer groups: a group id with members of
// one kind refuses the other (GROUP_ID_NOT_FOUND here, INCONSISTENT_GROUP_PROTOCOL on
// JoinGroup), as Kafka does when group.consumer.migration.policy forbids it.
//
// Every timer is unref'd and bounded by configured or clamped timeouts.

import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../wire/errors.js';

export interface ConsumerGroupOptions {
  /** Kafka's group.consumer.heartbeat.interval.ms. */
  heartbeatIntervalMs: number;
  /** Kafka's group.consumer.session.timeout.ms. */
  sessionTimeoutMs: number;
  /** Kafka's group.consumer.assignors: the first is the default. */
  assignors: readonly string[];
  /** Kafka's group.consumer.max.size: members per group. */
  maxSize: number;
  /** Consumer groups held in memory at most; empty ones are forgotten first. */
  maxGroups: number;
}

export const DEFAULT_CONSUMER_GROUP_OPTIONS: Readonly<ConsumerGroupOptions> = {
  heartbeatIntervalMs: 5_000,
  sessionTimeoutMs: 45_000,
  assignors: ['uniform', 'range'],
  maxSize: 1_000,
  maxGroups: 10_000,
};

export const SERVER_ASSIGNORS = ['uniform', 'range'] as const;

/** Bounds on what one heartbeat may carry (a hostile client cannot grow the broker's memory past them). */
export const MAX_SUBSCRIBED_TOPICS = 10_000;
export const MAX_REGEX_CHARS = 1_000;
export const MAX_REGEX_REPETITIONS = 4;
const MAX_REBALANCE_TIMEOUT_MS = 30 * 60_000;
const METADATA_CHECK_MS = 1_000;
const LEAVE_EPOCH = -1;
const STATIC_LEAVE_EPOCH = -2;

/** Partitions by topic id, each list sorted. */
export type Assignment = Map<string, number[]>;

/** What the coordinator needs of the topics (the engine). */
export interface TopicView {
  /** Topic id and partition count of a topic, or undefined when it does not exist. */
  topic(name: string): { topicId: string; partitions: number } | undefined;
  /** Every topic name (only read for regex subscriptions). */
  topicNames(): string[];
  /** The name of a topic id, or undefined. */
  nameOf(topicId: string): string | undefined;
}

type MemberState = 'stable' | 'unrevoked' | 'unreleased';

interface Member {
  readonly memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  topicNames: string[];
  regexSource: string | null;
  regex: RegExp | null;
  serverAssignor: string | null;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberState;
  assigned: Assignment;
  pendingRevocation: Assignment;
  /** "topicId:partition" → the member epoch at which the member got it (KIP-1251 commit checks). */
  assignmentEpochs: Map<string, number>;
  /** The assignment last sent to the member, as a key; the next answer carries it again only when it changed. */
  sentKey: string;
  sessionTimer: NodeJS.Timeout | null;
  revocationTimer: NodeJS.Timeout | null;
}

interface Group {
  readonly groupId: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  target: Map<string, Assignment>;
  members: Map<string, Member>;
  /** The subscribed topics' ids and partition counts when last checked; a change bumps the group epoch. */
  metadataKey: string;
  metadataCheckedAtMs: number;
}

export interface HeartbeatRequest {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: Array<{ topicId: string; partitions: number[] }> | null;
  clientId: string;
  clientHost: string;
  /** v0 lets the coordinator pick the member id; from v1 the client must. */
  version: number;
}

export interface HeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: Array<{ topicId: string; partitions: number[] }> | null;
}

/** The answer of validateCommit: a group-level code, and for an older epoch a check per partition. */
export interface CommitCheck {
  errorCode: number;
  partition?: (topic: string, partition: number) => number;
}

export interface ConsumerGroupDescription {
  groupId: string;
  state: 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: Array<{
    memberId: string;
    instanceId: string | null;
    rackId: string | null;
    memberEpoch: number;
    clientId: string;
    clientHost: string;
    subscribedTopicNames: string[];
    subscribedTopicRegex: string | null;
    assignment: Assignment;
    targetAssignment: Assignment;
  }>;
}

/** Kafka's Uuid.randomUuid().toString(): 16 random bytes, base64url without padding. */
function newMemberId(): string {
  return randomBytes(16).toString('base64url');
}

function keyOf(a: Assignment): string {
  return JSON.stringify([...a.entries()].filter(([, ps]) => ps.length > 0).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

function toWire(a: Assignment): Array<{ topicId: string; partitions: number[] }> {
  return [...a.entries()].filter(([, ps]) => ps.length > 0).map(([topicId, partitions]) => ({ topicId, partitions: [...partitions] }));
}

function intersect(a: Assignment, b: Assignment): Assignment {
  const out: Assignment = new Map();
  for (const [t, ps] of a) {
    const other = new Set(b.get(t) ?? []);
    const kept = ps.filter((p) => other.has(p));
    if (kept.length > 0) out.set(t, kept);
  }
  return out;
}

function minus(a: Assignment, b: Assignment): Assignment {
  const out: Assignment = new Map();
  for (const [t, ps] of a) {
    const other = new Set(b.get(t) ?? []);
    const left = ps.filter((p) => !other.has(p));
    if (left.length > 0) out.set(t, left);
  }
  return out;
}

function add(a: Assignment, topicId: string, partition: number): void {
  const ps = a.get(topicId);
  if (ps === undefined) a.set(topicId, [partition]);
  else {
    ps.push(partition);
    ps.sort((x, y) => x - y);
  }
}

function size(a: Assignment): number {
  let n = 0;
  for (const ps of a.values()) n += ps.length;
  return n;
}

/** True when every partition of `owned` is in `assigned` (Kafka's isSubset). */
function isSubset(owned: ReadonlyArray<{ topicId: string; partitions: number[] }> | null, assigned: Assignment): boolean {
  if (owned === null) return false;
  for (const tp of owned) {
    const set = new Set(assigned.get(tp.topicId) ?? []);
    for (const p of tp.partitions) if (!set.has(p)) return false;
  }
  return true;
}

function overlaps(owned: ReadonlyArray<{ topicId: string; partitions: number[] }>, a: Assignment): boolean {
  for (const tp of owned) {
    const set = new Set(a.get(tp.topicId) ?? []);
    for (const p of tp.partitions) if (set.has(p)) return true;
  }
  return false;
}

interface AssignInput {
  memberId: string;
  topics: ReadonlyArray<{ topicId: string; partitions: number }>;
  current: Assignment;
}

/**
 * Kafka's `range`: per topic, the members subscribed to it (by member id) get
 * contiguous ranges, the first (partitions % members) one partition more.
 */
export function rangeAssign(members: readonly AssignInput[]): Map<string, Assignment> {
  const out = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
  const byTopic = new Map<string, { partitions: number; members: string[] }>();
  for (const m of members) {
    for (const t of m.topics) {
      let e = byTopic.get(t.topicId);
      if (e === undefined) byTopic.set(t.topicId, (e = { partitions: t.partitions, members: [] }));
      e.members.push(m.memberId);
    }
  }
  for (const [topicId, { partitions, members: ids }] of byTopic) {
    ids.sort();
    const per = Math.floor(partitions / ids.length);
    const extra = partitions % ids.length;
    let next = 0;
    ids.forEach((id, i) => {
      const n = per + (i < extra ? 1 : 0);
      for (let k = 0; k < n; k++) add(out.get(id)!, topicId, next++);
    });
  }
  return out;
}

/**
 * Kafka's `uniform`: as even as the subscriptions allow, and sticky: a member keeps
 * the partitions it has up to its share, so a join or leave moves only what must move.
 */
export function uniformAssign(members: readonly AssignInput[]): Map<string, Assignment> {
  const out = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
  const eligible = new Map<string, string[]>();
  const all: Array<[string, number]> = [];
  for (const m of members) {
    for (const t of m.topics) {
      let e = eligible.get(t.topicId);
      if (e === undefined) {
        eligible.set(t.topicId, (e = []));
        for (let p = 0; p < t.partitions; p++) all.push([t.topicId, p]);
      }
      e.push(m.memberId);
    }
  }
  // Each member's share: what a balanced greedy pass gives it.
  const quota = new Map<string, number>(members.map((m) => [m.memberId, 0]));
  const pick = (ids: readonly string[], counts: Map<string, number>): string => {
    let best = ids[0]!;
    for (const id of ids) if (counts.get(id)! < counts.get(best)! || (counts.get(id)! === counts.get(best)! && id < best)) best = id;
    return best;
  };
  for (const [t] of all) {
    const id = pick(eligible.get(t)!, quota);
    quota.set(id, quota.get(id)! + 1);
  }
  const count = new Map<string, number>(members.map((m) => [m.memberId, 0]));
  const taken = new Set<string>();
  for (const m of members) {
    const subscribed = new Set(m.topics.map((t) => t.topicId));
    const sizes = new Map(m.topics.map((t) => [t.topicId, t.partitions]));
    for (const [t, ps] of m.current) {
      if (!subscribed.has(t)) continue;
      for (const p of ps) {
        const k = `${t}:${p}`;
        if (p >= sizes.get(t)! || taken.has(k) || count.get(m.memberId)! >= quota.get(m.memberId)!) continue;
        taken.add(k);
        add(out.get(m.memberId)!, t, p);
        count.set(m.memberId, count.get(m.memberId)! + 1);
      }
    }
  }
  for (const [t, p] of all) {
    if (taken.has(`${t}:${p}`)) continue;
    const ids = eligible.get(t)!;
    const under = ids.filter((id) => count.get(id)! < quota.get(id)!);
    const id = pick(under.length > 0 ? under : ids, count);
    add(out.get(id)!, t, p);
    count.set(id, count.get(id)! + 1);
  }
  return out;
}

/**
 * Why a pattern could make JavaScript's backtracking engine take exponential time on
 * a topic name, or null. Kafka matches with RE2J (linear time, and without
 * backreferences or lookaround, which are refused here too); a repeated group that
 * itself holds a repetition or an alternation is refused, which keeps the usual
 * topic patterns (`orders-.*`, `(orders|payments)\..*`, `t-[0-9]+`); so are more
 * than MAX_REGEX_REPETITIONS repetitions in all (`.*.*.*.*.*x` is polynomial of
 * that degree on a name that does not match).
 */
export function backtrackingHazard(source: string): string | null {
  // Per open group: does it hold a quantifier or an alternation?
  const stack: boolean[] = [];
  let inClass = false;
  let repetitions = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const n = source[i + 1] ?? '';
      if (!inClass && /[1-9k]/.test(n)) return 'backreferences are not supported';
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') {
      if (source.startsWith('(?=', i) || source.startsWith('(?!', i) || source.startsWith('(?<=', i) || source.startsWith('(?<!', i)) return 'lookaround is not supported';
      stack.push(false);
    } else if (c === ')') {
      const risky = stack.pop() ?? false;
      const next = source[i + 1] ?? '';
      if (risky && (next === '*' || next === '+' || next === '{' || next === '?')) return 'a repeated group may not hold a repetition or an alternation';
      if (risky && stack.length > 0) stack[stack.length - 1] = true;
    } else if (c === '*' || c === '+' || c === '{' || c === '|' || (c === '?' && source[i - 1] !== '(')) {
      if (c !== '|' && c !== '?' && ++repetitions > MAX_REGEX_REPETITIONS) return `more than ${MAX_REGEX_REPETITIONS} repetitions`;
      if (stack.length > 0) stack[stack.length - 1] = true;
    }
  }
  return null;
}

export class ConsumerGroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly opts: ConsumerGroupOptions;
  private closed = false;
  /** Set by the group services: true when a classic group with members holds the id. */
  classicGroupInUse: (groupId: string) => boolean = () => false;

  constructor(
    private readonly topics: TopicView,
    opts: Partial<ConsumerGroupOptions> = {},
  ) {
    this.opts = { ...DEFAULT_CONSUMER_GROUP_OPTIONS, ...opts };
    for (const a of this.opts.assignors) if (!(SERVER_ASSIGNORS as readonly string[]).includes(a)) throw new Error(`group.consumer.assignors: unknown assignor ${a} (known: ${SERVER_ASSIGNORS.join(', ')})`);
    if (this.opts.assignors.length === 0) throw new Error('group.consumer.assignors must name at least one assignor');
  }

  /** True when a consumer group with members holds the id (classic JoinGroup is refused then). */
  inUse(groupId: string): boolean {
    return (this.groups.get(groupId)?.members.size ?? 0) > 0;
  }

  has(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  private fail(errorCode: number, errorMessage: string, memberId: string | null = null, memberEpoch = -1): HeartbeatResult {
    return { errorCode, errorMessage, memberId, memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  }

  /** Kafka's request validation (INVALID_REQUEST and friends), before any state is touched. */
  private validate(req: HeartbeatRequest): HeartbeatResult | null {
    const bad = (msg: string) => this.fail(ErrorCode.INVALID_REQUEST, msg);
    if (req.groupId === '') return this.fail(ErrorCode.INVALID_REQUEST, "GroupId can't be empty.");
    if (req.instanceId === '') return bad("InstanceId can't be empty.");
    if (req.rackId === '') return bad("RackId can't be empty.");
    if (req.memberEpoch < STATIC_LEAVE_EPOCH) return bad(`MemberEpoch ${req.memberEpoch} is invalid.`);
    if (req.memberId === '' && (req.memberEpoch !== 0 || req.version >= 1)) return bad("MemberId can't be empty.");
    if (req.memberEpoch === STATIC_LEAVE_EPOCH && req.instanceId === null) return bad("InstanceId can't be null.");
    if (req.memberEpoch === 0) {
      if (req.rebalanceTimeoutMs === -1) return bad('RebalanceTimeoutMs must be provided in first request.');
      if (req.topicPartitions === null || req.topicPartitions.length > 0) return bad('TopicPartitions must be empty when (re-)joining.');
      if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) return bad('SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
    }
    if (req.rebalanceTimeoutMs < -1) return bad('RebalanceTimeoutMs is invalid.');
    if (req.subscribedTopicNames !== null && req.subscribedTopicNames.length > MAX_SUBSCRIBED_TOPICS) return bad(`SubscribedTopicNames has more than ${MAX_SUBSCRIBED_TOPICS} topics.`);
    if (req.topicPartitions !== null) {
      let n = 0;
      for (const tp of req.topicPartitions) n += tp.partitions.length;
      if (n > 1_000_000) return bad('TopicPartitions is too large.');
    }
    if (req.serverAssignor !== null && !this.opts.assignors.includes(req.serverAssignor)) {
      return this.fail(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${this.opts.assignors.join(', ')}.`);
    }
    return null;
  }

  private compileRegex(source: string): RegExp | string {
    if (source.length > MAX_REGEX_CHARS) return `SubscribedTopicRegex is longer than ${MAX_REGEX_CHARS} characters.`;
    const unsafe = backtrackingHazard(source);
    if (unsafe !== null) return `SubscribedTopicRegex \`${source}\` is not supported: ${unsafe}.`;
    try {
      // Anchored like Java's Pattern.matches (Kafka uses RE2J's matches()).
      return new RegExp(`^(?:${source})$`, 'u');
    } catch (err) {
      return `SubscribedTopicRegex \`${source}\` is not a valid regular expression: ${(err as Error).message}.`;
    }
  }

  heartbeat(req: HeartbeatRequest): HeartbeatResult {
    if (this.closed) return this.fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is shutting down.');
    const invalid = this.validate(req);
    if (invalid !== null) return invalid;
    let regex: RegExp | null = null;
    if (req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== '') {
      const r = this.compileRegex(req.subscribedTopicRegex);
      if (typeof r === 'string') return this.fail(ErrorCode.INVALID_REGULAR_EXPRESSION, r);
      regex = r;
    }
    if (this.classicGroupInUse(req.groupId)) return this.fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} is not a consumer group.`);
    if (req.memberEpoch === LEAVE_EPOCH || req.memberEpoch === STATIC_LEAVE_EPOCH) return this.leave(req);

    let group = this.groups.get(req.groupId);
    if (group === undefined) {
      // A member that is not joining is unknown here (after a restart, say): it rejoins at epoch 0.
      if (req.memberEpoch !== 0) return this.fail(ErrorCode.UNKNOWN_MEMBER_ID, `Group ${req.groupId} has no member ${req.memberId}.`);
      if (!this.makeRoomForGroup()) return this.fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `The coordinator holds ${this.opts.maxGroups} consumer groups with members.`);
      group = { groupId: req.groupId, groupEpoch: 0, assignmentEpoch: 0, assignorName: this.opts.assignors[0]!, target: new Map(), members: new Map(), metadataKey: '', metadataCheckedAtMs: 0 };
      this.groups.set(req.groupId, group);
    }

    let member: Member | undefined;
    let bump = false;
    if (req.memberEpoch === 0) {
      const memberId = req.memberId === '' ? newMemberId() : req.memberId;
      member = group.members.get(memberId);
      if (req.instanceId !== null) {
        const holder = [...group.members.values()].find((m) => m.instanceId === req.instanceId);
        if (holder !== undefined && holder.memberId !== memberId) {
          if (holder.memberEpoch !== STATIC_LEAVE_EPOCH) {
            return this.fail(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${holder.memberId} with instance id ${req.instanceId} is still in the group; it must leave first.`);
          }
          // A restarted static member takes over its predecessor's place without a rebalance.
          member = this.replaceStatic(group, holder, memberId);
        }
      }
      if (member === undefined) {
        if (group.members.size >= this.opts.maxSize) return this.fail(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.opts.maxSize} members.`);
        member = {
          memberId,
          instanceId: req.instanceId,
          rackId: req.rackId,
          clientId: req.clientId,
          clientHost: req.clientHost,
          rebalanceTimeoutMs: 0,
          topicNames: [],
          regexSource: null,
          regex: null,
          serverAssignor: null,
          memberEpoch: 0,
          previousMemberEpoch: 0,
          state: 'stable',
          assigned: new Map(),
          pendingRevocation: new Map(),
          assignmentEpochs: new Map(),
          sentKey: '',
          sessionTimer: null,
          revocationTimer: null,
        };
        group.members.set(memberId, member);
        bump = true;
      } else if (member.memberEpoch === STATIC_LEAVE_EPOCH) {
        member.memberEpoch = member.previousMemberEpoch;
      }
      // A (re)joining member holds nothing; the full answer carries its assignment.
      member.sentKey = '';
    } else {
      member = group.members.get(req.memberId);
      if (member === undefined) return this.fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      if (req.memberEpoch > member.memberEpoch) {
        return this.fail(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a greater member epoch (${req.memberEpoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`);
      }
      if (req.memberEpoch < member.memberEpoch && (req.memberEpoch !== member.previousMemberEpoch || !isSubset(req.topicPartitions, member.assigned))) {
        return this.fail(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a smaller member epoch (${req.memberEpoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`);
      }
    }

    // The member's own fields: null means "unchanged since the last heartbeat".
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
    if (req.rackId !== null) member.rackId = req.rackId;
    if (req.instanceId !== null) member.instanceId = req.instanceId;
    if (req.rebalanceTimeoutMs !== -1) member.rebalanceTimeoutMs = Math.min(req.rebalanceTimeoutMs, MAX_REBALANCE_TIMEOUT_MS);
    if (req.subscribedTopicNames !== null) {
      const names = [...new Set(req.subscribedTopicNames)].sort();
      if (JSON.stringify(names) !== JSON.stringify(member.topicNames)) {
        member.topicNames = names;
        bump = true;
      }
    }
    if (req.subscribedTopicRegex !== null) {
      const source = req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex;
      if (source !== member.regexSource) {
        member.regexSource = source;
        member.regex = regex;
        bump = true;
      }
    }
    if (req.serverAssignor !== null && req.serverAssignor !== member.serverAssignor) {
      member.serverAssignor = req.serverAssignor;
      bump = true;
    }
    this.touch(group, member);

    const now = Date.now();
    if (bump || now - group.metadataCheckedAtMs >= METADATA_CHECK_MS) {
      group.metadataCheckedAtMs = now;
      const key = this.metadataKey(group);
      if (key !== group.metadataKey) {
        group.metadataKey = key;
        bump = true;
      }
    }
    if (bump) group.groupEpoch++;
    if (group.groupEpoch > group.assignmentEpoch) this.computeTarget(group);

    const owned = req.memberEpoch === 0 ? [] : req.topicPartitions;
    this.reconcile(group, member, owned);

    const key = keyOf(member.assigned);
    const full = req.memberEpoch === 0 || (req.topicPartitions !== null && req.subscribedTopicNames !== null && req.rebalanceTimeoutMs !== -1);
    const send = full || key !== member.sentKey;
    member.sentKey = key;
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.opts.heartbeatIntervalMs,
      assignment: send ? toWire(member.assigned) : null,
    };
  }

  private leave(req: HeartbeatRequest): HeartbeatResult {
    const group = this.groups.get(req.groupId);
    let member = group?.members.get(req.memberId);
    if (member === undefined && req.instanceId !== null && group !== undefined) {
      member = [...group.members.values()].find((m) => m.instanceId === req.instanceId);
      if (member !== undefined && member.memberId !== req.memberId) {
        return this.fail(ErrorCode.UNKNOWN_MEMBER_ID, `Instance ${req.instanceId} is held by member ${member.memberId}, not ${req.memberId}.`);
      }
    }
    if (group === undefined || member === undefined) return this.fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
    if (req.memberEpoch === STATIC_LEAVE_EPOCH && member.instanceId !== null) {
      // A static member going away for a while keeps its partitions until its session expires.
      if (member.memberEpoch !== STATIC_LEAVE_EPOCH) member.previousMemberEpoch = member.memberEpoch;
      member.memberEpoch = STATIC_LEAVE_EPOCH;
      this.touch(group, member);
    } else {
      this.removeMember(group, member);
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null };
  }

  private replaceStatic(group: Group, old: Member, memberId: string): Member {
    this.clearTimers(old);
    group.members.delete(old.memberId);
    const target = group.target.get(old.memberId);
    group.target.delete(old.memberId);
    const m: Member = { ...old, memberId, memberEpoch: old.previousMemberEpoch, sentKey: '', sessionTimer: null, revocationTimer: null };
    group.members.set(memberId, m);
    if (target !== undefined) group.target.set(memberId, target);
    return m;
  }

  /** Ensures room for one more group: forgets an empty one when at the limit; false when every group has members. */
  private makeRoomForGroup(): boolean {
    if (this.groups.size < this.opts.maxGroups) return true;
    for (const [id, g] of this.groups) {
      if (g.members.size === 0) {
        this.groups.delete(id);
        return true;
      }
    }
    return false;
  }

  /** The topics a member subscribes to, resolved now (regex matches included). */
  private subscribed(m: Member): Array<{ name: string; topicId: string; partitions: number }> {
    const names = new Set(m.topicNames);
    if (m.regex !== null) for (const n of this.topics.topicNames()) if (!n.startsWith('__') && m.regex.test(n)) names.add(n);
    const out: Array<{ name: string; topicId: string; partitions: number }> = [];
    for (const name of names) {
      const t = this.topics.topic(name);
      if (t !== undefined) out.push({ name, ...t });
    }
    return out;
  }

  private metadataKey(group: Group): string {
    const all = new Map<string, string>();
    for (const m of group.members.values()) for (const t of this.subscribed(m)) all.set(t.name, `${t.topicId}/${t.partitions}`);
    return JSON.stringify([...all.entries()].sort());
  }

  private computeTarget(group: Group): void {
    // The assignor most members ask for, else the configured default (Kafka's rule).
    const votes = new Map<string, number>();
    for (const m of group.members.values()) if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    let name = this.opts.assignors[0]!;
    let best = 0;
    for (const [a, n] of votes) if (n > best) [name, best] = [a, n];
    group.assignorName = name;
    const inputs: AssignInput[] = [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      topics: this.subscribed(m).map((t) => ({ topicId: t.topicId, partitions: t.partitions })),
      current: group.target.get(m.memberId) ?? new Map(),
    }));
    group.target = name === 'range' ? rangeAssign(inputs) : uniformAssign(inputs);
    group.assignmentEpoch = group.groupEpoch;
  }

  /** Moves a member one step towards its target (Kafka's CurrentAssignmentBuilder). */
  private reconcile(group: Group, member: Member, owned: ReadonlyArray<{ topicId: string; partitions: number[] }> | null): void {
    if (member.memberEpoch === STATIC_LEAVE_EPOCH) return;
    if (member.state === 'unrevoked') {
      if (owned === null || overlaps(owned, member.pendingRevocation)) return;
      member.pendingRevocation = new Map();
      if (member.revocationTimer !== null) clearTimeout(member.revocationTimer);
      member.revocationTimer = null;
    } else if (member.state === 'stable' && member.memberEpoch === group.assignmentEpoch) {
      return;
    }
    const target = group.target.get(member.memberId) ?? new Map<string, number[]>();
    const revoke = minus(member.assigned, target);
    if (size(revoke) > 0) {
      member.assigned = intersect(member.assigned, target);
      member.pendingRevocation = revoke;
      member.state = 'unrevoked';
      this.recordAssignmentEpochs(member);
      this.armRevocation(group, member);
      return;
    }
    const held = new Set<string>();
    for (const other of group.members.values()) {
      if (other === member) continue;
      for (const a of [other.assigned, other.pendingRevocation]) for (const [t, ps] of a) for (const p of ps) held.add(`${t}:${p}`);
    }
    let waiting = false;
    const next: Assignment = new Map([...member.assigned].map(([t, ps]) => [t, [...ps]]));
    for (const [t, ps] of minus(target, member.assigned)) {
      for (const p of ps) {
        if (held.has(`${t}:${p}`)) waiting = true;
        else add(next, t, p);
      }
    }
    member.assigned = next;
    if (member.memberEpoch !== group.assignmentEpoch) {
      member.previousMemberEpoch = member.memberEpoch;
      member.memberEpoch = group.assignmentEpoch;
    }
    member.state = waiting ? 'unreleased' : 'stable';
    this.recordAssignmentEpochs(member);
  }

  /** Partitions new to the member take its current epoch; those it gave up are forgotten. */
  private recordAssignmentEpochs(member: Member): void {
    const now = new Set<string>();
    for (const [t, ps] of member.assigned) {
      for (const p of ps) {
        const k = `${t}:${p}`;
        now.add(k);
        if (!member.assignmentEpochs.has(k)) member.assignmentEpochs.set(k, member.memberEpoch);
      }
    }
    for (const k of member.assignmentEpochs.keys()) if (!now.has(k)) member.assignmentEpochs.delete(k);
  }

  /** A member that does not revoke within its rebalance timeout is fenced (removed), as in Kafka. */
  private armRevocation(group: Group, member: Member): void {
    if (member.revocationTimer !== null) clearTimeout(member.revocationTimer);
    member.revocationTimer = setTimeout(() => {
      member.revocationTimer = null;
      if (group.members.get(member.memberId) === member && member.state === 'unrevoked') this.removeMember(group, member);
    }, Math.max(1, member.rebalanceTimeoutMs));
    member.revocationTimer.unref();
  }

  private touch(group: Group, member: Member): void {
    if (member.sessionTimer !== null) clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => {
      member.sessionTimer = null;
      if (group.members.get(member.memberId) === member) this.removeMember(group, member);
    }, this.opts.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  private clearTimers(m: Member): void {
    if (m.sessionTimer !== null) clearTimeout(m.sessionTimer);
    if (m.revocationTimer !== null) clearTimeout(m.revocationTimer);
    m.sessionTimer = null;
    m.revocationTimer = null;
  }

  private removeMember(group: Group, member: Member): void {
    this.clearTimers(member);
    group.members.delete(member.memberId);
    group.target.delete(member.memberId);
    group.groupEpoch++;
    // The others' targets are recomputed at their next heartbeat (the group epoch moved).
  }

  /**
   * Kafka's ConsumerGroup.validateOffsetCommit, with KIP-1251 (Kafka 4.3+): epoch < 0
   * commits (admin, manual assignment) only while the group has no members; a member
   * must exist and use OffsetCommit v9+. Its current epoch commits anything; an older
   * epoch (a commit sent just before a heartbeat moved the member on) commits only the
   * partitions the member still has and had at that epoch, each other partition is
   * STALE_MEMBER_EPOCH, as is a newer epoch. undefined when the group is not a
   * consumer group with members; otherwise a group-level code and a per-partition check.
   */
  validateCommit(groupId: string, memberId: string, memberEpoch: number, apiVersion: number, transactional: boolean): CommitCheck | undefined {
    const group = this.groups.get(groupId);
    if (group === undefined || group.members.size === 0) return undefined;
    const member = group.members.get(memberId);
    if (member === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    if (!transactional && apiVersion < 9) return { errorCode: ErrorCode.UNSUPPORTED_VERSION };
    if (memberEpoch === member.memberEpoch) return { errorCode: ErrorCode.NONE };
    if (memberEpoch > member.memberEpoch || memberEpoch < 0) return { errorCode: ErrorCode.STALE_MEMBER_EPOCH };
    return {
      errorCode: ErrorCode.NONE,
      partition: (topic, partition) => {
        const t = this.topics.topic(topic);
        const since = t === undefined ? undefined : member.assignmentEpochs.get(`${t.topicId}:${partition}`);
        return since !== undefined && memberEpoch >= since ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
      },
    };
  }

  /** Kafka's ConsumerGroup.validateOffsetFetch (OffsetFetch v9 member id and epoch). */
  validateFetch(groupId: string, memberId: string | null, memberEpoch: number): number {
    if (memberId === null && memberEpoch < 0) return ErrorCode.NONE;
    const member = this.groups.get(groupId)?.members.get(memberId ?? '');
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch !== member.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return ErrorCode.NONE;
  }

  describe(groupId: string): ConsumerGroupDescription | undefined {
    const group = this.groups.get(groupId);
    if (group === undefined) return undefined;
    let state: ConsumerGroupDescription['state'] = 'Stable';
    if (group.members.size === 0) state = 'Empty';
    else if (group.groupEpoch > group.assignmentEpoch) state = 'Assigning';
    else if ([...group.members.values()].some((m) => m.memberEpoch !== group.assignmentEpoch || m.state !== 'stable')) state = 'Reconciling';
    return {
      groupId,
      state,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: group.assignorName,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.topicNames,
        subscribedTopicRegex: m.regexSource,
        assignment: m.assigned,
        targetAssignment: group.target.get(m.memberId) ?? new Map(),
      })),
    };
  }

  /**
   * The topic names a consumer-protocol group's members subscribe to now, regex matches
   * included (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC rule); undefined for a group this
   * manager does not hold.
   */
  subscribedTopicNames(groupId: string): Set<string> | undefined {
    const group = this.groups.get(groupId);
    if (group === undefined) return undefined;
    const names = new Set<string>();
    for (const m of group.members.values()) for (const t of this.subscribed(m)) names.add(t.name);
    return names;
  }

  /** Forgets an empty group; NON_EMPTY_GROUP while it has members. */
  delete(groupId: string): number {
    const group = this.groups.get(groupId);
    if (group === undefined) return ErrorCode.NONE;
    if (group.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    this.groups.delete(groupId);
    return ErrorCode.NONE;
  }

  /** The topic name of an id (ConsumerGroupDescribe names the topics). */
  topicName(topicId: string): string {
    return this.topics.nameOf(topicId) ?? '';
  }

  close(): void {
    this.closed = true;
    for (const g of this.groups.values()) for (const m of g.members.values()) this.clearTimers(m);
    this.groups.clear();
  }
}

