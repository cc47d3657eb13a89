import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, WebhookOutboxTable } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { invalid } from '../errors.js';
import type { Project } from '../projects.js';
import { WEBHOOK_EVENTS, type WebhookEvent } from './events.js';
import type { WebhookRegistry } from './registry.js';

export interface WebhookSettings {
  url: string;
  events: WebhookEvent[];
  /** The signing secret: answered in full by webhooks_set only. */
  secret: string;
  created_at: string;
  updated_at: string;
}

export interface WebhookDelivery {
  id: string;
  event: WebhookEvent;
  created_at: string;
  status: WebhookOutboxTable['status'];
  attempts: number;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
  /** The JSON body sent (the same on every attempt). */
  payload: Record<string, unknown>;
}

const MAX_URL = 2048;

/** An absolute http(s) URL without credentials; where it may point is checked at each delivery (SSRF-safe fetch). */
function checkUrl(raw: string): string {
  let u: URL | undefined;
  try {
    u = new URL(raw);
  } catch {
    u = undefined;
  }
  if (!u || !/^https?:$/.test(u.protocol) || raw.length > MAX_URL) throw invalid('url must be an absolute http(s) URL (https recommended), at most 2048 characters.', { field: 'url' });
  if (u.username || u.password) throw invalid('url must not carry a user name or password; authenticate deliveries by their Sitepub-Signature header.', { field: 'url' });
  u.hash = '';
  return u.href;
}

function checkEvents(events: readonly string[]): WebhookEvent[] {
  if (!Array.isArray(events) || events.length === 0) throw invalid(`events must list at least one of: ${WEBHOOK_EVENTS.join(', ')}.`, { field: 'events' });
  for (const [i, e] of events.entries()) {
    if (!(WEBHOOK_EVENTS as readonly string[]).includes(e)) throw invalid(`events[${i}] "${e}" is not an event: use ${WEBHOOK_EVENTS.join(', ')}.`, { field: `events.${i}` });
  }
  return WEBHOOK_EVENTS.filter((e) => events.includes(e));
}

/** A project's webhook (one per project) and its deliveries (webhooks_set, webhooks_delete, webhooks_list_deliveries). */
export class WebhookService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly registry: WebhookRegistry,
  ) {}

  /**
   * Sets the project's webhook. The signing secret stays the same across calls (receivers keep
   * verifying) unless `rotate_secret`; a first call makes one.
   */
  async set(project: Project, input: { url: string; events: readonly string[]; rotate_secret?: boolean | undefined }): Promise<{ url: string; events: WebhookEvent[]; secret: string; created_at: string; updated_at: string }> {
    const url = checkUrl(input.url);
    const events = checkEvents(input.events);
    const now = this.clock.now().toISOString();
    const fresh = `whsec_${randomBytes(24).toString('base64url')}`;
    const row = await this.db.transaction().execute(async (tx) => {
      const old = await tx.selectFrom('webhooks').selectAll().where('project_id', '=', project.id).executeTakeFirst();
      const secret = old && !input.rotate_secret ? old.secret : fresh;
      const next = { project_id: project.id, url, events: events.join(','), secret, created_at: old?.created_at ?? now, updated_at: now };
      await tx
        .insertInto('webhooks')
        .values(next)
        .onConflict((oc) => oc.column('project_id').doUpdateSet({ url: next.url, events: next.events, secret: next.secret, updated_at: now }))
        .execute();
      return next;
    });
    this.registry.forget(project.id);
    return { url: row.url, events, secret: row.secret, created_at: row.created_at, updated_at: row.updated_at };
  }

  /** Removes the project's webhook; events already queued are no longer sent (they stay listed). */
  async delete(project: Project): Promise<{ deleted: boolean }> {
    const r = await this.db.deleteFrom('webhooks').where('project_id', '=', project.id).executeTakeFirst();
    this.registry.forget(project.id);
    return { deleted: Number(r.numDeletedRows) > 0 };
  }

  /** The webhook without its secret (the secret's first characters only), or null. */
  async get(project: Project): Promise<{ url: string; events: WebhookEvent[]; secret_prefix: string; created_at: string; updated_at: string } | null> {
    const w = await this.db.selectFrom('webhooks').selectAll().where('project_id', '=', project.id).executeTakeFirst();
    if (!w) return null;
    return { url: w.url, events: w.events.split(',').filter(Boolean) as WebhookEvent[], secret_prefix: w.secret.slice(0, 10), created_at: w.created_at, updated_at: w.updated_at };
  }

  async deliveries(
    project: Project,
    input: { status?: WebhookOutboxTable['status'] | undefined; limit?: number | undefined; offset?: number | undefined },
  ): Promise<{ webhook: Awaited<ReturnType<WebhookService['get']>>; deliveries: WebhookDelivery[]; total: number }> {
    const limit = input.limit ?? 20;
    const offset = input.offset ?? 0;
    let base = this.db.selectFrom('webhook_outbox').where('project_id', '=', project.id);
    if (input.status) base = base.where('status', '=', input.status);
    const [webhook, rows, total] = await Promise.all([
      this.get(project),
      base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return {
      webhook,
      deliveries: rows.map((r) => ({
        id: r.id,
        event: r.event as WebhookEvent,
        created_at: r.created_at,
        status: r.status,
        attempts: r.attempts,
        next_attempt_at: r.status === 'pending' ? r.next_at : null,
        last_status: r.last_status,
        last_error: r.last_error,
        delivered_at: r.delivered_at,
        payload: JSON.parse(r.payload) as Record<string, unknown>,
      })),
      total: Number(total.n),
    };
  }
}
