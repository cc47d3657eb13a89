import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { systemClock } from '../src/core/clock.js';
import { makeUrlConfig } from '../src/core/config.js';
import { Core } from '../src/core/core.js';
import { isPostgresUrl, migrate, openDb, type Db } from '../src/db/connect.js';
import { rebuildTokenCounters } from '../src/db/migrations/0006-token-state-counters.js';
import { rebuildPageCounts } from '../src/db/migrations/0007-page-counts.js';
import { rebuildRefusalCounts } from '../src/db/migrations/0020-refusal-counts.js';
import { median, type Row } from './util.js';
import { ScopedPostgresDialect } from '../src/db/postgres-dialect.js';

interface Sizes {
  tokens: number;
  events: number;
  pages: number;
}

/**
 * The per-day download counters the server keeps as it serves, rebuilt for the generated attempts
 * (one-file links: each download is one file sent and one use; get-stats totals sum uses).
 */
const DAILY = `insert into download_daily (project_id, day, asset_slug, downloads, uses)
  select project_id, substr(at, 1, 10), asset_slug, count(*), count(*) from download_events where outcome = 'ok' group by project_id, substr(at, 1, 10), asset_slug`;

/** Fills one project with generated rows, using each engine's own bulk insert (bench-only SQL). */
async function fill(db: Db, projectId: string, s: Sizes): Promise<void> {
  const now = Date.now();
  if (db.dialect === 'sqlite') {
    const x = db.sqlite!;
    const series = (n: number) => `with recursive c(i) as (select 0 union all select i + 1 from c where i < ${n - 1})`;
    x.exec(`${series(s.pages)} insert into pages (id, project_id, slug, content, meta, seo, version, version_hash, size_bytes, created_at, updated_at)
      select 'pg_b' || i, '${projectId}', 'p/' || printf('%07d', i) || '.html', '<p>' || i || '</p>', '{"title":"Page ' || i || '"}', '{}', 1, 'h' || i, 10, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' from c`);
    x.exec(`${series(s.tokens)} insert into download_tokens (id, project_id, asset_slug, token_hash, token_prefix, filename, disposition, expires_at, max_uses, use_count, visitor_id, metadata, confirm, expiration_redirect_url, created_at, last_used_at, revoked_at)
      select 'dlt_b' || i, '${projectId}', 'files/f' || (i % 50) || '.pdf', 'hash' || i, 'spd_x', 'f.pdf', 'attachment',
        case when i % 3 = 0 then strftime('%Y-%m-%dT%H:%M:%fZ', ${now / 1000} - 3600, 'unixepoch') else strftime('%Y-%m-%dT%H:%M:%fZ', ${now / 1000} + 86400, 'unixepoch') end,
        case when i % 5 = 0 then 1 else 0 end, case when i % 5 = 0 then 1 else 0 end, 'visitor' || (i % 10000), '{}', 0, null,
        strftime('%Y-%m-%dT%H:%M:%fZ', ${now / 1000} - (i % (29 * 86400)), 'unixepoch'), null, case when i % 7 = 0 then '2026-01-02T00:00:00.000Z' else null end from c`);
    x.exec(`${series(s.events)} insert into download_events (project_id, token_id, asset_slug, at, outcome, ip, visitor_id, user_agent)
      select '${projectId}', 'dlt_b' || (i % ${s.tokens}), 'files/f' || (i % 50) || '.pdf', strftime('%Y-%m-%dT%H:%M:%fZ', ${now / 1000} - (i % (29 * 86400)), 'unixepoch'),
        case when i % 4 = 0 then 'TOKEN_EXPIRED' else 'ok' end, '127.0.0.1', null, 'bench' from c`);
    x.exec(DAILY);
    x.exec('analyze');
    return;
  }
  const ts = (expr: string) => `to_char((to_timestamp(${now / 1000}) at time zone 'UTC') + (${expr}) * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  await sql
    .raw(
      `insert into pages (id, project_id, slug, content, meta, seo, version, version_hash, size_bytes, created_at, updated_at)
      select 'pg_b' || i, '${projectId}', 'p/' || lpad(i::text, 7, '0') || '.html', '<p>' || i || '</p>', '{"title":"Page ' || i || '"}', '{}', 1, 'h' || i, 10, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' from generate_series(0, ${s.pages - 1}) i`,
    )
    .execute(db.kysely);
  await sql
    .raw(
      `insert into download_tokens (id, project_id, asset_slug, token_hash, token_prefix, filename, disposition, expires_at, max_uses, use_count, visitor_id, metadata, confirm, expiration_redirect_url, created_at, last_used_at, revoked_at)
      select 'dlt_b' || i, '${projectId}', 'files/f' || (i % 50) || '.pdf', 'hash' || i, 'spd_x', 'f.pdf', 'attachment',
        case when i % 3 = 0 then ${ts('-3600')} else ${ts('86400')} end, case when i % 5 = 0 then 1 else 0 end, case when i % 5 = 0 then 1 else 0 end,
        'visitor' || (i % 10000), '{}', 0, null, ${ts(`-(i % (29 * 86400))`)}, null, case when i % 7 = 0 then '2026-01-02T00:00:00.000Z' else null end from generate_series(0, ${s.tokens - 1}) i`,
    )
    .execute(db.kysely);
  await sql
    .raw(
      `insert into download_events (project_id, token_id, asset_slug, at, outcome, ip, visitor_id, user_agent)
      select '${projectId}', 'dlt_b' || (i % ${s.tokens}), 'files/f' || (i % 50) || '.pdf', ${ts(`-(i % (29 * 86400))`)}, case when i % 4 = 0 then 'TOKEN_EXPIRED' else 'ok' end, '127.0.0.1', null, 'bench' from generate_series(0, ${s.events - 1}) i`,
    )
    .execute(db.kysely);
  await sql.raw(DAILY).execute(db.kysely);
  await sql.raw('vacuum analyze').execute(db.kysely); // what autovacuum does on a live server
}

async function time(n: number, f: () => Promise<unknown>): Promise<number> {
  await f();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await f();
    t.push(performance.now() - s);
  }
  return median(t);
}

async function measure(label: string, db: Db, s: Sizes): Promise<Row[]> {
  await migrate(db);
  const core = new Core({ db, urls: makeUrlConfig('http://127.0.0.1:8787', 'localhost'), clock: systemClock });
  const project = await core.projects.create({ name: 'Scale', subdomain: `scale-${Date.now().toString(36)}` });
  const t0 = performance.now();
  await fill(db, project.id, s);
  await rebuildTokenCounters(db.kysely as never); // the token-state counters the server keeps as it serves
  await rebuildPageCounts(db.kysely as never); // and the page counts
  await rebuildRefusalCounts(db.kysely as never); // and the refusal counts (a quarter of the attempts are refusals)
  const fillS = ((performance.now() - t0) / 1000).toFixed(0);
  const list = await time(10, () => core.downloads.list(project, { status: 'active', asset_url: '/files/f7.pdf', limit: 20 }));
  const listVisitor = await time(10, () => core.downloads.list(project, { visitor_id: 'visitor42', limit: 20 }));
  const stats = await time(5, () => core.downloads.stats(project, 30));
  const offsets = [0, Math.floor(s.pages / 2), s.pages - 100];
  const pageTimes: number[] = [];
  for (const o of offsets) pageTimes.push(await time(5, () => core.pages.list(project, 100, o)));
  await core.close();
  const row = (what: string, ms: number, goal: number): Row => ({ what: `${what} (${label})`, sitepub: `p50 ${ms.toFixed(1)} ms`, anchor: '', ratio: '', goal: `< ${goal} ms`, met: ms < goal });
  return [
    { ...row(`list-downloads, status + asset filter, ${s.tokens.toLocaleString('en')} tokens`, list, 50), note: `filled in ${fillS} s: ${s.tokens} tokens, ${s.events} attempts, ${s.pages} pages` },
    row('list-downloads, visitor filter', listVisitor, 50),
    row(`get-stats over 30 days, ${s.events.toLocaleString('en')} attempts`, stats, 50),
    row(`pages_list, 100 a page, ${s.pages.toLocaleString('en')} pages (worst of first, middle, last page)`, Math.max(...pageTimes), 20),
  ];
}

export async function benchScale(s: Sizes): Promise<Row[]> {
  const rows: Row[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-bench-scale-'));
  try {
    rows.push(...(await measure('SQLite', openDb({ dataDir: dir }), s)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const url = process.env.DATABASE_URL;
  if (isPostgresUrl(url)) {
    const schema = `bench_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    try {
      const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}` });
      rows.push(...(await measure('PostgreSQL', openDb({ dialect: { kysely: new ScopedPostgresDialect({ pool }), name: 'postgres' } }), s)));
    } finally {
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    }
  } else {
    rows.push({ what: 'scale on PostgreSQL', sitepub: 'not run', anchor: 'set DATABASE_URL', ratio: '', goal: '', met: null });
  }
  return rows;
}
