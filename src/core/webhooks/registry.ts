import type { CompiledQuery, Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { newId } from '../ids.js';
import type { WebhookBody, WebhookEvent } from './events.js';
import { countBoundedLru } from '../lru.js';

/**
 * How long an instance trusts what it knows of a project's webhook events. The instance that runs
 * webhooks_set forgets its own entry at once; others learn within this time (docs: "takes effect
 * on other instances within 10 s").
 */
export const WEBHOOK_CACHE_MS = 10_000;
const CACHE_PROJECTS = 10_000;

const NONE: ReadonlySet<WebhookEvent> = new Set();

/**
 * Which events each project's webhook wants, cached per process: a download or refusal asks this
 * once per project per 10 s, so without webhooks the hot path does no extra database work. The
 * outbox rows themselves are written by the caller, in the transaction of the use or refusal.
 */
export class WebhookRegistry {
  private readonly cache = countBoundedLru<string, { events: ReadonlySet<WebhookEvent>; until: number }>(CACHE_PROJECTS);

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /** The project's subscribed events when known in this process, else undefined (then run `query` and `remember`). */
  cached(projectId: string): ReadonlySet<WebhookEvent> | undefined {
    const hit = this.cache.get(projectId);
    if (!hit || hit.until <= this.clock.now().getTime()) return undefined;
    return hit.events;
  }

  /** The read that answers `cached` on a miss. */
  query(projectId: string): CompiledQuery<{ events: string }> {
    return this.db.selectFrom('webhooks').select('events').where('project_id', '=', projectId).compile();
  }

  remember(projectId: string, rows: ReadonlyArray<{ events: string }>): ReadonlySet<WebhookEvent> {
    const events = rows[0] ? (new Set(rows[0].events.split(',').filter(Boolean)) as ReadonlySet<WebhookEvent>) : NONE;
    this.cache.set(projectId, { events, until: this.clock.now().getTime() + WEBHOOK_CACHE_MS });
    return events;
  }

  forget(projectId: string): void {
    this.cache.delete(projectId);
  }

  private readonly listeners = new Set<() => void>();

  /** Called after a transaction that queued outbox rows commits: a delivery loop in this process starts at once. */
  queued(): void {
    for (const l of this.listeners) l();
  }

  onQueued(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The outbox row of one event, due at once. */
  outboxInsert(projectId: string, type: WebhookEvent, data: WebhookBody['data'], at: string): CompiledQuery<unknown> {
    const id = newId('evt');
    const body: WebhookBody = { id, type, created_at: at, project_id: projectId, data };
    return this.db
      .insertInto('webhook_outbox')
      .values({ id, project_id: projectId, event: type, payload: JSON.stringify(body), created_at: at, status: 'pending', attempts: 0, next_at: at, lease_until: null, leased_by: null, last_status: null, last_error: null, delivered_at: null })
      .compile();
  }
}
