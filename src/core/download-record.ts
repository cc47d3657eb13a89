import type { CompiledQuery, Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database, DownloadTokenTable } from '../db/schema.js';
import type { Clock } from './clock.js';
import { tokenBucket, type DownloadQueries } from './download-queries.js';

/** Who asked for a download link (recorded with each attempt; never the token itself). */
export interface AttemptInfo {
  ip?: string | null | undefined;
  visitorId?: string | null | undefined;
  userAgent?: string | null | undefined;
}

/** One HEAD or preview recorded per token and outcome per window (see recordLook). */
const LOOK_WINDOW_MS = 60_000;
const LOOK_KEYS = 10_000;

/** The token an event is about: null id and slug for an attempt no token matched. */
type TokenRef = { project_id: string; id: string | null; asset_slug: string | null };

/** The download_events row of one attempt. */
export function attemptEvent(queries: DownloadQueries, token: TokenRef, outcome: string, a: AttemptInfo, at: string): CompiledQuery<unknown> {
  return queries.event({ project: token.project_id, token: token.id, asset: token.asset_slug, at, outcome, ip: a.ip ?? null, visitor: a.visitorId ?? null, ua: a.userAgent ? a.userAgent.slice(0, 300) : null });
}

/**
 * What one consumed use writes besides the token's own UPDATE, in the same transaction so that
 * use_count always equals the recorded downloads: its event, the day's counter, and, for the use
 * that exhausts the token, the move to the exhausted counter (get-stats). `hit` is the token row
 * after the UPDATE. Both consume paths (SQLite's group commit, the async transaction) run this list.
 */
export function useSteps(queries: DownloadQueries, hit: DownloadTokenTable, a: AttemptInfo, at: string): CompiledQuery<unknown>[] {
  const steps = [attemptEvent(queries, hit, 'ok', a, at), queries.daily({ project: hit.project_id, day: at.slice(0, 10), asset: hit.asset_slug })];
  if (hit.max_uses > 0 && hit.use_count === hit.max_uses) steps.push(queries.stateCounts({ ...tokenBucket(hit), tokens: 0, revoked: 0, exhausted: 1 }));
  return steps;
}

/** Records attempts that consume nothing: refusals, HEADs and previews. */
export class AttemptRecorder {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly queries: DownloadQueries,
  ) {}

  private readonly looks = new LRUCache<string, number>({ max: LOOK_KEYS });

  async record(token: TokenRef, outcome: string, a: AttemptInfo, at: string = this.clock.now().toISOString()): Promise<void> {
    await this.db.executeQuery(attemptEvent(this.queries, token, outcome, a, at));
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
