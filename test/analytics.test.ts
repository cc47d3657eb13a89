import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_REFERRER_HOSTS, referrerHost } from '../src/core/analytics/page-views.js';
import { SiteAnalytics } from '../src/core/analytics/index.js';
import { SITE_STATS } from '../tools/sites.js';
import { call, connect, makeApp, makeEnv, type TestEnv } from './helpers.js';
import { DIALECTS } from './dialects.js';

const SITE = 'bakery.localhost:8787';

describe('referrer hosts', () => {
  it('keeps the host name only', () => {
    expect(referrerHost('https://www.Google.com/search?q=bread')).toBe('www.google.com');
    expect(referrerHost('https://user:pw@news.example:8443/x')).toBe('news.example');
    expect(referrerHost('android-app://com.slack/')).toBe('com.slack');
    expect(referrerHost('not a url')).toBeUndefined();
    expect(referrerHost(undefined)).toBeUndefined();
  });
});

for (const dialect of DIALECTS) {
  describe(`page views without cookies (${dialect})`, () => {
    let env: TestEnv;
    beforeEach(async () => {
      env = await makeEnv({ dialect });
      await env.core.pages.create(env.project, { slug: 'index.html', content: '<!doctype html><title>Home</title>' });
      await env.core.pages.create(env.project, { slug: 'about.html', content: '<!doctype html><title>About</title>' });
      await env.core.assets.upload(env.project, { slug: 'site.css', content_text: 'body{}' });
    });
    afterEach(() => env.close());

    it('counts page views (not assets, not HEAD, not 404s) per page and day, and external referrer hosts; site_stats reports them', async () => {
      const req = makeApp(env);
      await req('/', { host: SITE, headers: { referer: 'https://www.google.com/search?q=bakery' } });
      await req('/about', { host: SITE, headers: { referer: 'http://bakery.localhost:8787/' } });
      await req('/about.html', { host: SITE });
      await req('/site.css', { host: SITE });
      await req('/', { host: SITE, method: 'HEAD' });
      await req('/nope.html', { host: SITE });
      // Nothing was written per request: the counts are in memory until a flush.
      expect(await env.core.db.kysely.selectFrom('site_views_daily').selectAll().execute()).toHaveLength(0);

      const client = await connect(env.core);
      const r = await call(client, SITE_STATS, { days: 7 });
      expect(r.ok).toBe(true);
      expect(r.data).toMatchObject({ days: 7, total_views: 3, pages: [{ path: 'about.html', views: 2 }, { path: 'index.html', views: 1 }], referrers: [{ host: 'www.google.com', views: 1 }] });
      const daily = r.data.daily as Array<{ date: string; views: number }>;
      expect(daily).toHaveLength(7);
      expect(daily.at(-1)).toEqual({ date: '2026-03-01', views: 3 });
      expect(daily[0]).toEqual({ date: '2026-02-23', views: 0 });
      // Nothing about the visitor is stored: only these columns exist.
      const row = (await env.core.db.kysely.selectFrom('site_views_daily').selectAll().execute())[0]!;
      expect(Object.keys(row).sort()).toEqual(['day', 'path', 'project_id', 'views']);
    });

    it('adds up flushes from several instances by upsert, and bounds the referrer hosts it holds', async () => {
      const a = new SiteAnalytics(env.core.db.kysely, env.clock, 60_000);
      const b = new SiteAnalytics(env.core.db.kysely, env.clock, 60_000);
      for (let i = 0; i < 5; i++) a.view(env.project.id, 'index.html', undefined, 'x');
      for (let i = 0; i < 3; i++) b.view(env.project.id, 'index.html', undefined, 'x');
      await Promise.all([a.flush(), b.flush()]);
      a.view(env.project.id, 'index.html', undefined, 'x');
      await a.flush();
      for (let i = 0; i < MAX_REFERRER_HOSTS + 50; i++) b.view(env.project.id, 'about.html', `https://site${i}.example/`, 'x');
      await b.close();
      await a.close();
      const stats = await env.core.analytics.stats(env.project, 1);
      expect(stats.pages).toEqual([{ path: 'about.html', views: MAX_REFERRER_HOSTS + 50 }, { path: 'index.html', views: 9 }]);
      const other = stats.referrers.find((r) => r.host === '(other)');
      expect(other?.views).toBe(50);
      const rows = await env.core.db.kysely.selectFrom('site_referrers_daily').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(rows.n)).toBe(MAX_REFERRER_HOSTS + 1);
    });

    it('counts a day by the UTC date of the view', async () => {
      const a = new SiteAnalytics(env.core.db.kysely, env.clock, 60_000);
      env.clock.set('2026-03-01T23:59:59.000Z');
      a.view(env.project.id, 'index.html', undefined, 'x');
      env.clock.set('2026-03-02T00:00:01.000Z');
      a.view(env.project.id, 'index.html', undefined, 'x');
      a.view(env.project.id, 'index.html', undefined, 'x');
      await a.close();
      const stats = await env.core.analytics.stats(env.project, 2);
      expect(stats.daily).toEqual([
        { date: '2026-03-01', views: 1 },
        { date: '2026-03-02', views: 2 },
      ]);
    });
  });
}

describe('the dashboard chart of page views', () => {
  it('draws one bar per day carrying its count, and sums them in its label', async () => {
    const { viewsChart } = await import('../src/http/dashboard/chart.js');
    const svg = String(viewsChart([{ date: '2026-03-01', views: 3 }, { date: '2026-03-02', views: 0 }, { date: '2026-03-03', views: 7 }], 'Page views per day'));
    expect([...svg.matchAll(/data-views="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([3, 0, 7]);
    expect(svg).toContain('10 page views from 2026-03-01 to 2026-03-03');
  });
});
