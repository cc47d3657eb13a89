import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { systemClock, type Clock } from '../clock.js';

/** Distinct referring hosts counted per project between two flushes; more are added up under "(other)". */
export const MAX_REFERRER_HOSTS = 200;
/** How often counts are written (and at close). */
export const FLUSH_MS = 10_000;
const BATCH_ROWS = 200;
const DAY_MS = 86_400_000;

/** The host name of a Referer header (lower case, no port), or undefined when there is none to count. */
export function referrerHost(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  const s = referer.indexOf('//');
  if (s < 0) return undefined;
  let end = s + 2;
  while (end < referer.length && !'/?#'.includes(referer[end]!)) end++;
  let host = referer.slice(s + 2, end);
  const at = host.lastIndexOf('@');
  if (at >= 0) host = host.slice(at + 1);
  if (!host.startsWith('[')) {
    const colon = host.indexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
  }
  host = host.toLowerCase();
  return host && host.length <= 253 ? host : undefined;
}

/**
 * Page views, counted in memory and written in batches: a site request only adds one to a map
 * entry (no write on the hot path); every FLUSH_MS the counts since the last flush are added to
 * the day's rows by upserts (`views = views + n`), so several instances flushing into the same
 * rows lose nothing. Stores no personal data: the page slug, the UTC day and the referring site's
 * host name (clicks from within the site itself are not referrers), nothing about the visitor.
 */
export class PageViews {
  /** Views since the last flush of the current day: project id -> slug -> views (nested, so a view builds no key string). */
  private views = new Map<string, Map<string, number>>();
  /** Referring host views of the current day: project id -> host -> views. */
  private referrers = new Map<string, Map<string, number>>();
  /** Buckets of days that ended before the last flush. */
  private ended: Array<{ day: string; views: PageViews['views']; referrers: PageViews['referrers'] }> = [];
  private day = '';
  private dayStarts = 0;
  private dayEnds = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  private flushing: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(
    private readonly db: Kysely<Database>,
    clock: Clock,
    flushMs = FLUSH_MS,
  ) {
    // The system clock without a Date per view; an injected clock (tests) as it is.
    this.now = clock === systemClock ? Date.now : () => clock.now().getTime();
    this.timer = setInterval(() => void this.flush().catch(() => {}), flushMs);
    this.timer.unref();
  }

  /** Moves to the day of `t`, keeping the counts of the day that ended for the next flush. */
  private turnDay(t: number): void {
    if (this.day && (this.views.size || this.referrers.size)) this.ended.push({ day: this.day, views: this.views, referrers: this.referrers });
    this.views = new Map();
    this.referrers = new Map();
    this.day = new Date(t).toISOString().slice(0, 10);
    this.dayStarts = Math.floor(t / DAY_MS) * DAY_MS;
    this.dayEnds = this.dayStarts + DAY_MS;
  }

  /** Counts one view of a page; `siteHost` is the host the request came to (a referrer there is internal). */
  view(projectId: string, slug: string, referer: string | undefined, siteHost: string): void {
    const t = this.now();
    if (t >= this.dayEnds || t < this.dayStarts) this.turnDay(t);
    let pv = this.views.get(projectId);
    if (!pv) this.views.set(projectId, (pv = new Map()));
    pv.set(slug, (pv.get(slug) ?? 0) + 1);
    if (!referer) return;
    let host = referrerHost(referer);
    if (!host || host === siteHost) return;
    let pr = this.referrers.get(projectId);
    if (!pr) this.referrers.set(projectId, (pr = new Map()));
    // A flood of made-up Referer headers costs one bucket, not memory.
    if (!pr.has(host) && pr.size >= MAX_REFERRER_HOSTS) host = '(other)';
    pr.set(host, (pr.get(host) ?? 0) + 1);
  }

  /** Writes the counts gathered since the last flush; one flush at a time. */
  flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => {}).then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    const buckets = [...this.ended];
    if (this.views.size || this.referrers.size) buckets.push({ day: this.day, views: this.views, referrers: this.referrers });
    if (buckets.length === 0) return;
    this.ended = [];
    this.views = new Map();
    this.referrers = new Map();
    // Summed by row: a bucket kept from a failed flush may share rows with a newer one (one upsert must not touch a row twice).
    const rows = (pick: 'views' | 'referrers'): Array<{ project_id: string; day: string; key: string; views: number }> => {
      const sum = new Map<string, { project_id: string; day: string; key: string; views: number }>();
      for (const b of buckets) {
        for (const [project_id, m] of b[pick]) {
          for (const [key, n] of m) {
            const k = `${project_id}\u0000${b.day}\u0000${key}`;
            const r = sum.get(k);
            if (r) r.views += n;
            else sum.set(k, { project_id, day: b.day, key, views: n });
          }
        }
      }
      return [...sum.values()];
    };
    try {
      await this.db.transaction().execute(async (tx) => {
        const v = rows('views');
        for (let i = 0; i < v.length; i += BATCH_ROWS) {
          await tx
            .insertInto('site_views_daily')
            .values(v.slice(i, i + BATCH_ROWS).map((r) => ({ project_id: r.project_id, day: r.day, path: r.key, views: r.views })))
            .onConflict((oc) => oc.columns(['project_id', 'day', 'path']).doUpdateSet((eb) => ({ views: eb('site_views_daily.views', '+', eb.ref('excluded.views')) })))
            .execute();
        }
        const r = rows('referrers');
        for (let i = 0; i < r.length; i += BATCH_ROWS) {
          await tx
            .insertInto('site_referrers_daily')
            .values(r.slice(i, i + BATCH_ROWS).map((x) => ({ project_id: x.project_id, day: x.day, host: x.key, views: x.views })))
            .onConflict((oc) => oc.columns(['project_id', 'day', 'host']).doUpdateSet((eb) => ({ views: eb('site_referrers_daily.views', '+', eb.ref('excluded.views')) })))
            .execute();
        }
      });
    } catch (e) {
      // Kept for the next flush rather than lost (a project deleted meanwhile would fail every time: dropped).
      if (!/foreign key/i.test(String(e))) this.ended.unshift(...buckets);
      throw e;
    }
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(() => {});
  }
}
