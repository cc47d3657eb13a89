import type { CompiledQuery, Kysely } from 'kysely';
import { NOT_REFUSED } from '../db/migrations/0014-seller-downloads.js';
import type { Database, DownloadTokenTable } from '../db/schema.js';
import type { Clock } from './clock.js';
import { tokenBucket, type DownloadQueries } from './download-queries.js';
import { linkFacts, type WebhookEvent } from './webhooks/events.js';
import type { WebhookRegistry } from './webhooks/registry.js';
import { countBoundedLru } from './lru.js';

/** Who asked for a download link (recorded with each attempt; never the token itself). */
export interface AttemptInfo {
  ip?: string | null | undefined;
  visitorId?: string | null | undefined;
  userAgent?: string | null | undefined;
}

/** One HEAD or preview recorded per token and outcome per window (see recordLook). */
const LOOK_WINDOW_MS = 60_000;
const LOOK_KEYS = 10_000;
/** Refusals of one token with one outcome recorded per minute per process (see recordRefusal). */
export const REFUSALS_PER_MINUTE = 20;

/** The token an event is about: null id and slug for an attempt no token matched. */
type TokenRef = { project_id: string; id: string | null; asset_slug: string | null };

/** The download_events row of one attempt that is not a refusal (a refusal's row comes with its counter: attemptSteps). */
export function attemptEvent(queries: DownloadQueries, token: TokenRef, outcome: string, a: AttemptInfo, at: string): CompiledQuery<unknown> {
  return queries.event({ project: token.project_id, token: token.id, asset: token.asset_slug, at, outcome, ip: a.ip ?? null, visitor: a.visitorId ?? null, ua: a.userAgent ? a.userAgent.slice(0, 300) : null });
}

/** An outcome the 0014 refusals index holds (refusedCondition), so one get-stats counts as refused. */
export const isRefusal = (outcome: string): boolean => !(NOT_REFUSED as readonly string[]).includes(outcome);

/**
 * What recording one attempt writes, to run in one transaction: its download_events row and, for a
 * refusal, the day's counter of its outcome (migration 0020), so get-stats never reads the log.
 */
export function attemptSteps(queries: DownloadQueries, token: TokenRef, outcome: string, a: AttemptInfo, at: string): CompiledQuery<unknown>[] {
  const event = attemptEvent(queries, token, outcome, a, at);
  return isRefusal(outcome) ? [event, queries.refusedDaily({ project: token.project_id, day: at.slice(0, 10), outcome })] : [event];
}

/**
 * What one consumed use writes besides the token's own UPDATE, in the same transaction so that
 * use_count always equals the recorded downloads: its event, the day's counter, and, for the use
 * that exhausts the token, the move to the exhausted counter (get-stats). `hit` is the token row
 * after the UPDATE. Both consume paths (SQLite's group commit, the async transaction) run this list.
 */
export function useSteps(queries: DownloadQueries, hit: DownloadTokenTable, a: AttemptInfo, at: string): CompiledQuery<unknown>[] {
  const day = at.slice(0, 10);
  const steps = [attemptEvent(queries, hit, 'ok', a, at), hit.bundle > 0 ? queries.bundleDaily({ token: hit.id, day }) : queries.daily({ project: hit.project_id, day, asset: hit.asset_slug })];
  if (exhaustedBy(hit)) steps.push(queries.stateCounts({ ...tokenBucket(hit), tokens: 0, revoked: 0, exhausted: 1 }));
  return steps;
}

/** This use (hit: the row after it) took the last one. */
const exhaustedBy = (hit: DownloadTokenTable): boolean => hit.max_uses > 0 && hit.use_count === hit.max_uses;

/** The webhook events a use or refusal raises for a project subscribed to `subscribed`. */
export function hookEvents(subscribed: ReadonlySet<WebhookEvent>, hit: DownloadTokenTable, outcome: string): WebhookEvent[] {
  if (subscribed.size === 0) return [];
  const out: WebhookEvent[] = [];
  if (outcome === 'ok') {
    if (subscribed.has('download.completed')) out.push('download.completed');
    if (subscribed.has('token.exhausted') && exhaustedBy(hit)) out.push('token.exhausted');
  } else if (subscribed.has('download.refused')) out.push('download.refused');
  return out;
}

/** A bundle's files in order (for event payloads). */
export function bundleSlugsQuery(db: Kysely<Database>, tokenId: string): CompiledQuery<{ asset_slug: string }> {
  return db.selectFrom('download_bundle_files').select('asset_slug').where('token_id', '=', tokenId).orderBy('position').compile();
}

/** The outbox rows of `events` for this use or refusal. */
export function outboxSteps(hooks: WebhookRegistry, events: readonly WebhookEvent[], hit: DownloadTokenTable, outcome: string, bundleSlugs: readonly string[] | undefined, at: string): CompiledQuery<unknown>[] {
  const facts = linkFacts(hit, bundleSlugs);
  return events.map((e) => hooks.outboxInsert(hit.project_id, e, e === 'download.refused' ? { ...facts, outcome } : facts, at));
}

/** Records attempts that consume nothing: refusals, HEADs and previews. */
export class AttemptRecorder {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly queries: DownloadQueries,
    private readonly hooks: WebhookRegistry,
  ) {}

  private readonly looks = countBoundedLru<string, number>(LOOK_KEYS);
  private readonly refusals = countBoundedLru<string, { start: number; n: number }>(LOOK_KEYS);

  async record(token: TokenRef, outcome: string, a: AttemptInfo, at: string = this.clock.now().toISOString()): Promise<void> {
    await this.run(attemptSteps(this.queries, token, outcome, a, at));
  }

  /** One statement on its own, more in one transaction. */
  private async run(steps: readonly CompiledQuery<unknown>[]): Promise<void> {
    if (steps.length === 1) {
      await this.db.executeQuery(steps[0]!);
      return;
    }
    await this.db.transaction().execute(async (tx) => {
      for (const q of steps) await tx.executeQuery(q);
    });
  }

  /**
   * Records the refusal of a known token, with its download.refused webhook event in the same
   * transaction when the project subscribed to it. At most REFUSALS_PER_MINUTE per token and
   * outcome per minute in this process: refusals of real tokens no longer count against an
   * address, so a script replaying a used-up link would otherwise turn each request into writes
   * (and webhook deliveries); a person retrying a link stays far below it.
   */
  async recordRefusal(row: DownloadTokenTable, outcome: string, a: AttemptInfo, at: string): Promise<void> {
    const nowMs = Date.parse(at);
    const key = `${row.id}\u0000${outcome}`;
    const seen = this.refusals.get(key);
    if (seen && nowMs - seen.start < 60_000) {
      if (seen.n >= REFUSALS_PER_MINUTE) return;
      seen.n++;
    } else this.refusals.set(key, { start: nowMs, n: 1 });
    const steps = attemptSteps(this.queries, row, outcome, a, at);
    const subscribed = this.hooks.cached(row.project_id) ?? this.hooks.remember(row.project_id, (await this.db.executeQuery(this.hooks.query(row.project_id))).rows);
    const events = hookEvents(subscribed, row, outcome);
    if (events.length === 0) {
      await this.run(steps);
      return;
    }
    await this.db.transaction().execute(async (tx) => {
      const slugs = row.bundle > 0 ? (await tx.executeQuery(bundleSlugsQuery(this.db, row.id))).rows.map((r) => r.asset_slug) : undefined;
      for (const q of steps) await tx.executeQuery(q);
      for (const q of outboxSteps(this.hooks, events, row, outcome, slugs, at)) await tx.executeQuery(q);
    });
    this.hooks.queued();
  }

  /**
   * Sampled record of a look that consumes nothing (HEAD, link previews): at most one row per token
   * and outcome per minute in this process. Anyone holding a link can send thousands of these a
   * second, and each would be a database write; their exact count is worth nothing (no use, no
   * money), while whether and when a link was looked at is kept. Consumed downloads are never sampled.
   */
  async recordLook(token: Pick<DownloadTokenTable, 'project_id' | 'id' | 'asset_slug'>, outcome: 'head' | 'preview', a: AttemptInfo): Promise<void> {
    const now = this.clock.now();
    const key = `${token.id}\u0000${outcome}`;
    const last = this.looks.get(key);
    if (last !== undefined && now.getTime() - last < LOOK_WINDOW_MS) return;
    this.looks.set(key, now.getTime());
    await this.record(token, outcome, a, now.toISOString());
  }
}
