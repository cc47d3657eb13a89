import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../clock.js';

export interface SiteStats {
  days: number;
  since: string;
  total_views: number;
  daily: Array<{ date: string; views: number }>;
  pages: Array<{ path: string; views: number }>;
  referrers: Array<{ host: string; views: number }>;
}

const TOP = 50;

/** Page views of the last `days` UTC days (today included): per day (every day listed, zeros too), the most viewed pages and referring hosts. */
export async function siteStats(db: Kysely<Database>, clock: Clock, projectId: string, days: number): Promise<SiteStats> {
  const today = clock.now();
  const dates = Array.from({ length: days }, (_, i) => new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - (days - 1 - i))).toISOString().slice(0, 10));
  const since = dates[0]!;
  const [perDay, perPage, perHost] = await Promise.all([
    db.selectFrom('site_views_daily').select(['day', (eb) => eb.fn.sum<number | string>('views').as('n')]).where('project_id', '=', projectId).where('day', '>=', since).groupBy('day').execute(),
    db
      .selectFrom('site_views_daily')
      .select(['path', (eb) => eb.fn.sum<number | string>('views').as('n')])
      .where('project_id', '=', projectId)
      .where('day', '>=', since)
      .groupBy('path')
      .orderBy('n', 'desc')
      .orderBy('path')
      .limit(TOP)
      .execute(),
    db
      .selectFrom('site_referrers_daily')
      .select(['host', (eb) => eb.fn.sum<number | string>('views').as('n')])
      .where('project_id', '=', projectId)
      .where('day', '>=', since)
      .groupBy('host')
      .orderBy('n', 'desc')
      .orderBy('host')
      .limit(TOP)
      .execute(),
  ]);
  const byDay = new Map(perDay.map((r) => [r.day, Number(r.n)]));
  const daily = dates.map((date) => ({ date, views: byDay.get(date) ?? 0 }));
  return {
    days,
    since,
    total_views: daily.reduce((a, d) => a + d.views, 0),
    daily,
    pages: perPage.map((r) => ({ path: r.path, views: Number(r.n) })),
    referrers: perHost.map((r) => ({ host: r.host, views: Number(r.n) })),
  };
}
