import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database, DownloadTokenTable } from '../db/schema.js';
import type { Clock } from './clock.js';
import { classifyToken, type DownloadListItem, type TokenStatus } from './download-state.js';
import { invalid, type ErrorType } from './errors.js';
import type { Project } from './projects.js';

/** What list-downloads takes. */
export type ListInput = { status?: TokenStatus | 'all' | undefined; asset_url?: string | undefined; visitor_id?: string | undefined; limit?: number | undefined; offset?: number | undefined };

/** Read-side of download links: listing tokens with their state, and statistics. */
export class DownloadReports {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly resolveAssetSlug: (project: Project, assetUrl: string) => string,
  ) {}

  private statusFilter(status: TokenStatus, nowIso: string) {
    return (eb: ExpressionBuilder<Database, 'download_tokens'>) => {
      const notRevoked = eb('revoked_at', 'is', null);
      const notExpired = eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowIso)]);
      const expired = eb.and([eb('expires_at', 'is not', null), eb('expires_at', '<=', nowIso)]);
      const exhausted = eb.and([eb('max_uses', '>', 0), eb('use_count', '>=', eb.ref('max_uses'))]);
      const usable = eb.or([eb('max_uses', '=', 0), eb('use_count', '<', eb.ref('max_uses'))]);
      switch (status) {
        case 'revoked':
          return eb('revoked_at', 'is not', null);
        case 'expired':
          return eb.and([notRevoked, expired]);
        case 'exhausted':
          return eb.and([notRevoked, notExpired, exhausted]);
        case 'active':
          return eb.and([notRevoked, notExpired, usable]);
      }
    };
  }

  /** What list-downloads filters by. */
  private listBase(project: Project, input: ListInput, nowIso: string) {
    let base = this.db.selectFrom('download_tokens').where('project_id', '=', project.id);
    if (input.status && input.status !== 'all') base = base.where(this.statusFilter(input.status, nowIso));
    if (input.visitor_id) base = base.where('visitor_id', '=', input.visitor_id);
    return base;
  }

  /**
   * The two statements of one list-downloads page: its rows and the total. With `asset_url`, the
   * file's own links and the bundles that hold it are two disjoint parts, each read through its own
   * index: the file's links by (project_id, asset_slug) (download_tokens_project_asset_state, which
   * also holds the state columns), the other bundles by id from download_bundle_files_asset. With one
   * `asset_slug = ? OR id IN (bundles)` condition (fed4af4), PostgreSQL counted by reading every link
   * of the project (a parallel seq scan) and SQLite read each matching link's row (MULTI-INDEX OR)
   * and sorted them all for a page. Each part gives at most offset + limit rows in order; the page is
   * cut from those. The answers are the same (test/download-list-asset-filter.test.ts).
   */
  listQueries(project: Project, input: ListInput, nowIso: string) {
    const limit = input.limit ?? 20;
    const offset = input.offset ?? 0;
    const base = this.listBase(project, input, nowIso);
    const count = (q: typeof base) => q.select((c) => c.fn.countAll<number>().as('n'));
    if (!input.asset_url) return { rows: base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset), total: count(base) };
    const slug = this.resolveAssetSlug(project, input.asset_url);
    const own = base.where('asset_slug', '=', slug);
    // asset_slug is NOT NULL, so `<>` leaves exactly the bundles that hold the file as a later file.
    const otherBundles = base
      .where('asset_slug', '<>', slug)
      .where('id', 'in', this.db.selectFrom('download_bundle_files').select('token_id').where('project_id', '=', project.id).where('asset_slug', '=', slug));
    const part = (q: typeof base) => this.db.selectFrom(q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(offset + limit).as('p')).selectAll();
    return {
      rows: this.db
        .selectFrom(part(own).unionAll(part(otherBundles)).as('t'))
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .offset(offset),
      total: this.db.selectNoFrom((eb) => eb(count(own), '+', count(otherBundles)).as('n')),
    };
  }

  async list(project: Project, input: ListInput): Promise<{ downloads: DownloadListItem[]; total: number; limit: number; offset: number }> {
    const nowIso = this.clock.now().toISOString();
    const q = this.listQueries(project, input, nowIso);
    const [rows, total] = await Promise.all([q.rows.execute(), q.total.executeTakeFirstOrThrow()]);
    const bundles = await this.bundleFiles(rows.filter((r) => r.bundle > 0).map((r) => r.id));
    return {
      downloads: rows.map((r) => itemOf(r, nowIso, bundles.get(r.id))),
      total: Number(total.n),
      limit: input.limit ?? 20,
      offset: input.offset ?? 0,
    };
  }

  /** One token as list shows it. */
  async item(row: DownloadTokenTable): Promise<DownloadListItem> {
    const bundles = row.bundle > 0 ? await this.bundleFiles([row.id]) : undefined;
    return itemOf(row, this.clock.now().toISOString(), bundles?.get(row.id));
  }

  /** The files of these bundle tokens, in order. */
  async bundleFiles(tokenIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (tokenIds.length === 0) return out;
    const rows = await this.db.selectFrom('download_bundle_files').select(['token_id', 'asset_slug']).where('token_id', 'in', tokenIds).orderBy('token_id').orderBy('position').execute();
    for (const r of rows) out.set(r.token_id, [...(out.get(r.token_id) ?? []), r.asset_slug]);
    return out;
  }

  /**
   * Statistics over the last `days` days. `everyDay` lists every day of the window in `daily`
   * (zeros included, as a chart wants); otherwise only days with downloads or refusals.
   */
  async stats(project: Project, days = 30, everyDay = true): Promise<{
    days: number;
    since: string;
    total_tokens: number;
    total_downloads: number;
    active_tokens: number;
    expired_tokens: number;
    exhausted_tokens: number;
    revoked_tokens: number;
    top_files: Array<{ asset_url: string; downloads: number }>;
    refused_attempts: number;
    refusals: Array<{ reason: string; attempts: number }>;
    daily: Array<{ date: string; downloads: number; refused: number }>;
  }> {
    if (!Number.isInteger(days) || days < 1 || days > 3650) throw invalid('days must be a whole number from 1 to 3650', { field: 'days' });
    const now = this.clock.now();
    const nowIso = now.toISOString();
    const startDay = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
    const since = startDay.toISOString();
    const sinceDay = since.slice(0, 10);
    // Token states from the per-day/expiry-hour counters; only tokens expiring this hour are read one
    // by one (the hour's boundary is decided by the clock, not by a write). Downloads from per-day counters.
    const hourNow = nowIso.slice(0, 13);
    const hourStart = `${hourNow}:00:00.000Z`;
    const hourEnd = new Date(Date.parse(hourStart) + 3_600_000).toISOString();
    const daily = () => this.db.selectFrom('download_daily').where('project_id', '=', project.id).where('day', '>=', sinceDay);
    // Refusals per reason and per day from their per-day counters (migration 0020), kept with each
    // refusal: at most one row per day and reason, however many attempts the window holds.
    const refused = () => this.db.selectFrom('download_refused_daily').where('project_id', '=', project.id).where('day', '>=', sinceDay);
    const [buckets, boundary, top, perDayRows, reasons, refusedDays] = await Promise.all([
      this.db
        .selectFrom('download_token_daily')
        .where('project_id', '=', project.id)
        .where('created_day', '>=', sinceDay)
        .select((eb) => ['expiry_hour', eb.fn.sum<number>('tokens').as('tokens'), eb.fn.sum<number>('revoked').as('revoked'), eb.fn.sum<number>('exhausted').as('exhausted')])
        .groupBy('expiry_hour')
        .execute(),
      this.db
        .selectFrom('download_tokens')
        .where('project_id', '=', project.id)
        .where('expires_at', '>=', hourStart)
        .where('expires_at', '<', hourEnd)
        .where('created_at', '>=', since)
        .select((eb) => [
          eb.fn.sum<number>(eb.case().when(this.statusFilter('expired', nowIso)(eb)).then(1).else(0).end()).as('expired'),
          eb.fn.sum<number>(eb.case().when(this.statusFilter('exhausted', nowIso)(eb)).then(1).else(0).end()).as('exhausted'),
        ])
        .executeTakeFirst(),
      daily()
        .select((eb) => ['asset_slug', eb.fn.sum<number>('downloads').as('n')])
        .groupBy('asset_slug')
        .orderBy('n', 'desc')
        .orderBy('asset_slug')
        .limit(10)
        .execute(),
      // Uses, not files: a bundle's download counts once (download_daily.uses, migration 0014).
      daily()
        .select((eb) => ['day', eb.fn.sum<number>('uses').as('n')])
        .groupBy('day')
        .execute(),
      refused()
        .select((eb) => ['outcome', eb.fn.sum<number>('attempts').as('n')])
        .groupBy('outcome')
        .orderBy('n', 'desc')
        .orderBy('outcome')
        .execute(),
      refused()
        .select((eb) => ['day', eb.fn.sum<number>('attempts').as('n')])
        .groupBy('day')
        .execute(),
    ]);
    let total = 0;
    let revoked = 0;
    let expired = Number(boundary?.expired ?? 0);
    let exhausted = Number(boundary?.exhausted ?? 0);
    for (const b of buckets) {
      const t = Number(b.tokens);
      const r = Number(b.revoked);
      total += t;
      revoked += r;
      if (b.expiry_hour < hourNow) expired += t - r; // every unrevoked token of the bucket has expired
      else if (b.expiry_hour > hourNow) exhausted += Number(b.exhausted); // none has expired yet
    }
    const active = total - revoked - expired - exhausted;
    const daily_ = perDayRows.map((r) => ({ d: r.day, n: Number(r.n) }));
    const downloads = daily_.reduce((a, r) => a + r.n, 0);
    const perDay = new Map(daily_.map((r) => [r.d, r.n]));
    const refusedPerDay = new Map(refusedDays.map((r) => [r.day, Number(r.n)]));
    const series: Array<{ date: string; downloads: number; refused: number }> = [];
    for (let i = 0; i < days; i++) {
      const d = new Date(startDay.getTime() + i * 86_400_000).toISOString().slice(0, 10);
      const row = { date: d, downloads: perDay.get(d) ?? 0, refused: refusedPerDay.get(d) ?? 0 };
      if (everyDay || row.downloads > 0 || row.refused > 0) series.push(row);
    }
    const refusals = reasons.map((r) => ({ reason: r.outcome, attempts: Number(r.n) }));
    return {
      days,
      since,
      total_tokens: total,
      total_downloads: downloads,
      active_tokens: active,
      expired_tokens: expired,
      exhausted_tokens: exhausted,
      revoked_tokens: revoked,
      top_files: top.map((r) => ({ asset_url: `/${r.asset_slug}`, downloads: Number(r.n) })),
      refused_attempts: refusals.reduce((a, r) => a + r.attempts, 0),
      refusals,
      daily: series,
    };
  }

}

function itemOf(r: DownloadTokenTable, nowIso: string, bundle: readonly string[] | undefined): DownloadListItem {
  return {
    token_id: r.id,
    token_prefix: r.token_prefix,
    asset_url: `/${r.asset_slug}`,
    ...(r.bundle > 0 ? { asset_urls: (bundle ?? []).map((s) => `/${s}`) } : {}),
    filename: r.filename,
    status: statusOf(classifyToken(r, r.visitor_id, nowIso)),
    use_count: r.use_count,
    max_uses: r.max_uses,
    remaining_uses: r.max_uses === 0 ? null : Math.max(0, r.max_uses - r.use_count),
    last_download_at: r.last_used_at,
    expires_at: r.expires_at,
    visitor_id: r.visitor_id,
    metadata: JSON.parse(r.metadata) as Record<string, unknown>,
    stamp: r.stamp,
    created_at: r.created_at,
    revoked_at: r.revoked_at,
  };
}

function statusOf(t: ErrorType | null): TokenStatus {
  if (t === 'TOKEN_REVOKED') return 'revoked';
  if (t === 'TOKEN_EXPIRED') return 'expired';
  if (t === 'TOKEN_EXHAUSTED') return 'exhausted';
  return 'active';
}
