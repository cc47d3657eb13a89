import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database } from '../db/schema.js';
import type { Clock } from './clock.js';
import { countBoundedLru } from './lru.js';

/**
 * Limits failed token attempts per client: guessing produces failures, honest buyers succeed, so
 * successful downloads never count against anyone.
 */
export interface RateLimiter {
  /** Seconds the client must wait, or 0. Answered from memory: no database work on the hot path. */
  blockedFor(key: string): number;
  /** Counts one failure; returns the seconds to wait if the client is now over the limit, else 0. */
  fail(key: string): Promise<number>;
}

export interface RateLimitOptions {
  /** Failures allowed per window. */
  points: number;
  windowSec: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { points: 20, windowSec: 60 };

/**
 * Fixed-window failure counters in the database, so every instance counts the same failures; one
 * upsert per failure. Blocks are remembered locally, so a blocked client costs no query.
 */
export class DbRateLimiter implements RateLimiter {
  /**
   * Blocks known to this process. Bounded by least-recent use, never cleared wholesale: an attacker
   * cannot unblock itself by making many keys; a block evicted here is found again at its next
   * failure (the window's count is in the database).
   */
  private readonly blocked: LRUCache<string, number>;
  private lastSweep = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly opts: RateLimitOptions = DEFAULT_RATE_LIMIT,
    maxBlocked = 100_000,
  ) {
    this.blocked = countBoundedLru<string, number>(maxBlocked);
  }

  blockedFor(key: string): number {
    const until = this.blocked.get(key);
    if (until === undefined) return 0;
    const ms = until - this.clock.now().getTime();
    if (ms <= 0) {
      this.blocked.delete(key);
      return 0;
    }
    return Math.ceil(ms / 1000);
  }

  async fail(key: string): Promise<number> {
    const now = this.clock.now();
    const nowIso = now.toISOString();
    const cutoff = new Date(now.getTime() - this.opts.windowSec * 1000).toISOString();
    await this.sweep(now.getTime(), cutoff);
    const row = await this.db
      .insertInto('rate_limits')
      .values({ key, window_start: nowIso, count: 1 })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => ({
          count: eb.case().when('rate_limits.window_start', '<=', cutoff).then(1).else(eb('rate_limits.count', '+', 1)).end(),
          window_start: eb.case().when('rate_limits.window_start', '<=', cutoff).then(nowIso).else(eb.ref('rate_limits.window_start')).end(),
        })),
      )
      .returning(['count', 'window_start'])
      .executeTakeFirstOrThrow();
    if (row.count <= this.opts.points) return 0;
    const until = new Date(row.window_start).getTime() + this.opts.windowSec * 1000;
    this.blocked.set(key, until);
    return Math.max(1, Math.ceil((until - now.getTime()) / 1000));
  }

  /** Counters whose window has passed say nothing any more: dropped about once a window, so the table holds only live windows. */
  private async sweep(nowMs: number, cutoff: string): Promise<void> {
    if (nowMs - this.lastSweep < this.opts.windowSec * 1000) return;
    this.lastSweep = nowMs;
    await this.db.deleteFrom('rate_limits').where('window_start', '<=', cutoff).execute();
  }
}
