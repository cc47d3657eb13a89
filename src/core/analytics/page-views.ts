import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../clock.js';

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
  /** `${projectId}\0${day}\0${slug}` -> views since the last flush. */
  private views = new Map<string, number>();
  /** `${projectId}\0${day}\0${host}` -> views since the last flush. */
  private referrers = new Map<string, number>();
  private readonly hostsPerProject = new Map<string, number>();
  private day = '';
  private dayEnds = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    flushMs = FLUSH_MS,
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => {}), flushMs);
    this.timer.unref();
  }

  private today(): string {
    const t = this.clock.now().getTime();
    if (t >= this.dayEnds || t < this.dayEnds - DAY_MS) {
      this.day = new Date(t).toISOString().slice(0, 10);
      this.dayEnds = (Math.floor(t / DAY_MS) + 1) * DAY_MS;
    }
    return this.day;
  }

  /** Counts one view of a page; `siteHost` is the host the request came to (a referrer there is internal). */
  view(projectId: string, slug: string, referer: string | undefined, siteHost: string): void {
    const day = this.today();
    const k = `${projectId}\u0000${day}\u0000${slug}`;
    this.views.set(k, (this.views.get(k) ?? 0) + 1);
    if (!referer) return;
    let host = referrerHost(referer);
    if (!host || host === siteHost) return;
    let rk = `${projectId}\u0000${day}\u0000${host}`;
    const n = this.referrers.get(rk);
    if (n === undefined) {
      // A flood of made-up Referer headers costs one bucket, not memory.
      const seen = this.hostsPerProject.get(projectId) ?? 0;
      if (seen >= MAX_REFERRER_HOSTS) {
        host = '(other)';
        rk = `${projectId}\u0000${day}\u0000${host}`;
      } else this.hostsPerProject.set(projectId, seen + 1);
    }
    this.referrers.set(rk, (this.referrers.get(rk) ?? 0) + 1);
  }

  /** Writes the counts gathered since the last flush; one flush at a time. */
  flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => {}).then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.views.size === 0 && this.referrers.size === 0) return;
    const views = this.views;
    const referrers = this.referrers;
    this.views = new Map();
    this.referrers = new Map();
    this.hostsPerProject.clear();
    const rows = (m: Map<string, number>): Array<{ project_id: string; day: string; key: string; views: number }> =>
      [...m].map(([k, n]) => {
        const [project_id, day, key] = k.split('\u0000') as [string, string, string];
        return { project_id, day, key, views: n };
      });
    try {
      await this.db.transaction().execute(async (tx) => {
        const v = rows(views);
        for (let i = 0; i < v.length; i += BATCH_ROWS) {
          await tx
            .insertInto('site_views_daily')
            .values(v.slice(i, i + BATCH_ROWS).map((r) => ({ project_id: r.project_id, day: r.day, path: r.key, views: r.views })))
            .onConflict((oc) => oc.columns(['project_id', 'day', 'path']).doUpdateSet((eb) => ({ views: eb('site_views_daily.views', '+', eb.ref('excluded.views')) })))
            .execute();
        }
        const r = rows(referrers);
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
      if (!/foreign key/i.test(String(e))) {
        for (const [k, n] of views) this.views.set(k, (this.views.get(k) ?? 0) + n);
        for (const [k, n] of referrers) this.referrers.set(k, (this.referrers.get(k) ?? 0) + n);
      }
      throw e;
    }
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(() => {});
  }
}
