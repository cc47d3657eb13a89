import { sql, type CompiledQuery, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assetSlugOf } from '../src/core/download-generate.js';
import { DownloadReports } from '../src/core/download-reports.js';
import type { Database } from '../src/db/schema.js';
import { DIALECTS, pgLabel, type DialectName } from './dialects.js';
import { b64, makeEnv, PNG_1PX, type TestEnv } from './helpers.js';

const label = (d: DialectName): string => (d === 'sqlite' ? 'sqlite' : pgLabel);
const STATUSES = ['all', 'active', 'revoked', 'expired', 'exhausted'] as const;

/** The plan of one statement as text: SQLite's EXPLAIN QUERY PLAN lines, PostgreSQL's EXPLAIN lines. */
async function planOf(env: TestEnv, q: CompiledQuery<unknown>, tx?: Kysely<Database>): Promise<string> {
  const db = env.core.db;
  if (db.dialect === 'sqlite') {
    const rows = db.sqlite!.prepare(`explain query plan ${q.sql}`).all(...(q.parameters as unknown[])) as Array<{ detail: string }>;
    return rows.map((r) => r.detail).join('\n');
  }
  const res = await (tx ?? db.kysely).executeQuery<{ 'QUERY PLAN': string }>({ ...q, sql: `explain ${q.sql}` });
  return res.rows.map((r) => r['QUERY PLAN']).join('\n');
}

/** list-downloads' asset filter as one OR condition (its query from fed4af4 to the fix), to show what the plan test catches. */
function orQueries(env: TestEnv, slug: string): { rows: CompiledQuery<unknown>; total: CompiledQuery<unknown> } {
  const db = env.core.db.kysely;
  const base = db
    .selectFrom('download_tokens')
    .where('project_id', '=', env.project.id)
    .where('revoked_at', 'is', null)
    .where((eb) =>
      eb.or([eb('asset_slug', '=', slug), eb('id', 'in', eb.selectFrom('download_bundle_files').select('token_id').where('project_id', '=', env.project.id).where('asset_slug', '=', slug))]),
    );
  return {
    rows: base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(20).offset(0).compile(),
    total: base.select((eb) => eb.fn.countAll<number>().as('n')).compile(),
  };
}

for (const dialect of DIALECTS) {
  describe(`list-downloads by file on ${label(dialect)}`, () => {
    let env: TestEnv;
    beforeEach(async () => {
      env = await makeEnv({ dialect });
      for (const slug of ['files/a.png', 'files/b.png', 'files/c.png']) await env.core.assets.upload(env.project, { slug, content: b64(PNG_1PX) });
    });
    afterEach(() => env.close());

    it("answers as the file's links and the bundles holding it, first or later, in every status, page and visitor filter", async () => {
      const d = env.core.downloads;
      const p = env.project;
      const gen = (input: Parameters<typeof d.generate>[1]) => d.generate(p, input);
      // Several links share a created_at (same clock): the id breaks the tie, across both parts.
      await gen({ asset_url: '/files/a.png' });
      await gen({ asset_urls: ['/files/b.png', '/files/a.png'] }); // a as a later file
      await gen({ asset_urls: ['/files/a.png', '/files/c.png'] }); // a first: its asset_slug is a
      await gen({ asset_url: '/files/b.png' });
      await gen({ asset_urls: ['/files/b.png', '/files/c.png'] }); // without a
      env.clock.advance(60_000);
      const revoked = await gen({ asset_urls: ['/files/c.png', '/files/a.png'], visitor_id: 'v1' });
      await d.revoke(p, { token_id: revoked.token_id });
      const once = await gen({ asset_urls: ['/files/c.png', '/files/b.png', '/files/a.png'], max_uses: 1, visitor_id: 'v1' });
      await d.verify(p, { token: once.token, visitor_id: 'v1' }); // exhausted
      const ownOnce = await gen({ asset_url: '/files/a.png', max_uses: 1, visitor_id: 'v1' });
      await d.verify(p, { token: ownOnce.token, visitor_id: 'v1' });
      await gen({ asset_url: '/files/a.png', expires_in_hours: 1, visitor_id: 'v1' });
      await gen({ asset_urls: ['/files/b.png', '/files/a.png'], expires_in_hours: 1 });
      env.clock.advance(30_000);
      await gen({ asset_url: '/files/a.png', visitor_id: 'v2' });
      await gen({ asset_urls: ['/files/c.png', '/files/a.png'], visitor_id: 'v2' });
      await gen({ asset_url: '/files/c.png' });
      env.clock.advance(2 * 3_600_000); // the two 1-hour links expire

      for (const asset of ['/files/a.png', '/files/b.png', '/files/c.png']) {
        for (const status of STATUSES) {
          for (const visitor_id of [undefined, 'v1', 'v2']) {
            // The reference: the same status and visitor without the file filter (one statement, unchanged), filtered here.
            const every = await d.list(p, { status, visitor_id, limit: 500 });
            const holds = every.downloads.filter((t) => t.asset_url === asset || (t.asset_urls ?? []).includes(asset)).map((t) => t.token_id);
            for (const [offset, limit] of [[0, 20], [0, 1], [1, 2], [2, 3], [3, 500], [holds.length, 5]] as const) {
              const got = await d.list(p, { status, asset_url: asset, visitor_id, limit, offset });
              expect({ asset, status, visitor_id, offset, limit, total: got.total, ids: got.downloads.map((t) => t.token_id) }).toEqual({
                asset,
                status,
                visitor_id,
                offset,
                limit,
                total: holds.length,
                ids: holds.slice(offset, offset + limit),
              });
            }
          }
        }
      }
      // Each listed bundle shows its files; one token once, even when the file is its first.
      const a = await d.list(p, { asset_url: '/files/a.png', limit: 500 });
      expect(a.total).toBe(10);
      expect(new Set(a.downloads.map((t) => t.token_id)).size).toBe(10);
      expect(a.downloads.find((t) => t.token_id === once.token_id)?.asset_urls).toEqual(['/files/c.png', '/files/b.png', '/files/a.png']);
    });

    it("reads the file's links through (project_id, asset_slug), not every link of the project", async () => {
      // Plans follow the table's statistics: 20,000 links over 50 files, analyzed (same SQL on both engines).
      await sql`insert into download_tokens (id, project_id, asset_slug, token_hash, token_prefix, filename, disposition, expires_at, max_uses, use_count, visitor_id, metadata, confirm, created_at)
        with recursive c(i) as (select 0 union all select i + 1 from c where i < 19999)
        select 'dlt_p' || i, ${env.project.id}, 'files/f' || (i % 50) || '.png', 'hash' || i, 'spd_x', 'f.png', 'attachment', null, 0, 0, null, '{}', 0, '2026-02-01T00:00:00.000Z' from c`.execute(env.core.db.kysely);
      await sql`analyze`.execute(env.core.db.kysely);
      const reports = new DownloadReports(env.core.db.kysely, env.clock, assetSlugOf);
      const q = reports.listQueries(env.project, { status: 'active', asset_url: '/files/a.png', limit: 20 }, env.clock.now().toISOString());
      const ours = { rows: q.rows.compile(), total: q.total.compile() };
      const or = orQueries(env, 'files/a.png');
      if (dialect === 'sqlite') {
        // The total counts from the covering index alone, the page seeks the file's links; the OR
        // condition reads every link of the project, or (MULTI-INDEX OR) each matching link's row.
        const total = await planOf(env, ours.total);
        expect(total).toContain('SEARCH download_tokens USING COVERING INDEX download_tokens_project_asset_state (project_id=? AND asset_slug=?)');
        const rows = await planOf(env, ours.rows);
        expect(rows).toContain('SEARCH download_tokens USING INDEX download_tokens_project_asset_state (project_id=? AND asset_slug=?)');
        expect(rows).toContain('SEARCH download_bundle_files USING INDEX download_bundle_files_asset (project_id=? AND asset_slug=?)');
        for (const plan of [total, rows]) expect(plan).not.toContain('MULTI-INDEX OR');
        expect(await planOf(env, or.total)).not.toContain('COVERING INDEX download_tokens_project_asset_state (project_id=? AND asset_slug=?)');
        return;
      }
      // PostgreSQL: ours seek the file's links by project and slug; the OR can only read every link
      // of the project (a seq scan, or an index by project alone when seq scans are ruled out) and filter.
      await env.core.db.kysely.transaction().execute(async (tx) => {
        const seeksFile = /Index (Only )?Scan( Backward)? using download_tokens_project_asset_state on download_tokens[^\n]*\n\s+Index Cond: \(\(project_id = '[^']+'::text\) AND \(asset_slug = 'files\/a\.png'::text\)/;
        const total = await planOf(env, ours.total, tx);
        expect(total).toMatch(/Index Only Scan using download_tokens_project_asset_state on download_tokens/);
        expect(total).toMatch(seeksFile);
        expect(await planOf(env, ours.rows, tx)).toMatch(seeksFile);
        const orPlans = [await planOf(env, or.total, tx)];
        await sql`set local enable_seqscan = off`.execute(tx);
        orPlans.push(await planOf(env, or.total, tx));
        for (const plan of orPlans) {
          expect(plan).toContain("asset_slug = 'files/a.png'::text) OR"); // a filter on each link of the project
          expect(plan).not.toMatch(seeksFile);
        }
      });
    });
  });
}
