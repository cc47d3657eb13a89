import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database, WebhookOutboxTable } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { SitepubError } from '../errors.js';
import { newId } from '../ids.js';
import { safeFetch, type SafeFetchOptions } from '../net/safe-fetch.js';
import type { WebhookRegistry } from './registry.js';
import { SIGNATURE_HEADER, sign } from './signature.js';

/** Wait before attempt n+1 after n failed attempts; after the last, the delivery is `failed`. */
export const RETRY_DELAYS_MS: readonly number[] = [10_000, 60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** A claimed row is this loop's until then; a crashed instance's claims lapse and another takes them. */
const LEASE_MS = 60_000;
const BATCH = 10;
const TIMEOUT_MS = 10_000;
/** How often the loop looks for due rows when nothing in this process woke it. */
const POLL_MS = 2_000;

export interface DeliveryOptions {
  /** Test-only exceptions to the SSRF policy, as for source_url (the server's fetch policy). */
  fetch?: Pick<SafeFetchOptions, 'allowAddresses' | 'lookup'>;
  pollMs?: number;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

/**
 * Sends queued webhook events. Any number of serve processes run one each: a loop claims due rows
 * by one conditional UPDATE that sets its lease (a row another loop holds is skipped, and a row is
 * claimed again only after its lease lapses), POSTs each through the SSRF-safe fetch (no redirects,
 * 10 s), and marks it delivered (2xx) or schedules the next attempt with backoff (10 s, 1 min,
 * 5 min, 30 min, 2 h, 6 h, 12 h; then `failed`). A receiver may see an event twice (a crash
 * between its answer and our write): events carry an `id` to deduplicate on.
 */
export class WebhookDeliverer {
  private readonly me = newId('dlv');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly registry: WebhookRegistry,
    private readonly opts: DeliveryOptions = {},
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.registry.onQueued(() => this.kick());
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Runs a pass soon (an event was queued in this process). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), ms);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    if (this.stopped || this.running) return;
    this.running = (async () => {
      try {
        let n: number;
        do {
          this.again = false;
          n = await this.runOnce();
        } while (!this.stopped && (n === BATCH || this.again));
      } catch (e) {
        this.opts.log?.('webhook delivery pass failed', { err: e instanceof Error ? e.message : String(e) });
      }
    })();
    await this.running;
    this.running = undefined;
    if (!this.stopped) this.schedule(this.opts.pollMs ?? POLL_MS);
  }

  /** One pass: claims up to BATCH due rows and attempts each. Returns how many it claimed. */
  async runOnce(): Promise<number> {
    const now = this.clock.now();
    const nowIso = now.toISOString();
    const lease = new Date(now.getTime() + LEASE_MS).toISOString();
    const claimable = (eb: ExpressionBuilder<Database, 'webhook_outbox'>) =>
      eb.and([eb('status', '=', 'pending'), eb('next_at', '<=', nowIso), eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', nowIso)])]);
    // The subquery picks candidates; the outer WHERE repeats the condition, so a row another loop
    // claimed meanwhile (PostgreSQL re-checks the updated row) is not claimed twice.
    const rows = await this.db
      .updateTable('webhook_outbox')
      .set((eb) => ({ lease_until: lease, leased_by: this.me, attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', (eb) => eb.selectFrom('webhook_outbox').select('id').where(claimable).orderBy('next_at').limit(BATCH))
      .where(claimable)
      .returningAll()
      .execute();
    // In parallel: the whole batch ends within one timeout, well inside the lease.
    await Promise.all(rows.map((row) => this.attempt(row as WebhookOutboxTable)));
    return rows.length;
  }

  private async attempt(row: WebhookOutboxTable): Promise<void> {
    const hook = await this.db.selectFrom('webhooks').select(['url', 'secret', 'events']).where('project_id', '=', row.project_id).executeTakeFirst();
    let status: number | null = null;
    let error: string | null = null;
    if (!hook || !hook.events.split(',').includes(row.event)) {
      error = 'the project no longer has a webhook for this event';
      await this.finish(row, 'failed', null, error);
      return;
    }
    const ts = Math.floor(this.clock.now().getTime() / 1000);
    try {
      const res = await safeFetch(hook.url, {
        maxBytes: 64 * 1024,
        timeoutMs: TIMEOUT_MS,
        maxRedirects: 0,
        anyStatus: true,
        label: 'webhook url',
        userAgent: 'sitepub-webhooks/1',
        post: {
          headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sign(hook.secret, ts, row.payload), 'sitepub-event': row.event, 'sitepub-delivery': row.id },
          body: row.payload,
        },
        ...this.opts.fetch,
      });
      status = res.status;
      if (status >= 200 && status <= 299) {
        await this.finish(row, 'delivered', status, null);
        return;
      }
      error = `the receiver answered HTTP ${status}`;
    } catch (e) {
      error = e instanceof SitepubError ? e.message : 'the request failed';
    }
    if (row.attempts >= MAX_ATTEMPTS) await this.finish(row, 'failed', status, error);
    else await this.finish(row, 'pending', status, error, new Date(this.clock.now().getTime() + RETRY_DELAYS_MS[row.attempts - 1]!).toISOString());
    this.opts.log?.('webhook delivery failed', { delivery: row.id, project: row.project_id, attempts: row.attempts, error });
  }

  private async finish(row: WebhookOutboxTable, status: WebhookOutboxTable['status'], httpStatus: number | null, error: string | null, nextAt?: string): Promise<void> {
    await this.db
      .updateTable('webhook_outbox')
      .set({
        status,
        last_status: httpStatus,
        last_error: error ? error.slice(0, 500) : null,
        lease_until: null,
        leased_by: null,
        ...(status === 'delivered' ? { delivered_at: this.clock.now().toISOString() } : {}),
        ...(nextAt ? { next_at: nextAt } : {}),
      })
      .where('id', '=', row.id)
      .where('leased_by', '=', this.me)
      .execute();
  }
}
