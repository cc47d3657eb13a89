import { Migrator, sql, type Kysely, type Migration as KyselyMigration } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../src/db/connect.js';
import { refusedCondition } from '../src/db/migrations/0014-seller-downloads.js';
import { rebuildRefusalCounts } from '../src/db/migrations/0020-refusal-counts.js';
import { MIGRATIONS } from '../src/db/migrations/index.js';
import { DIALECTS, openTestDb, pgLabel, type DialectName } from './dialects.js';
import { b64, makeEnv, PNG_1PX, type TestEnv } from './helpers.js';

const label = (d: DialectName): string => (d === 'sqlite' ? 'sqlite' : pgLabel);

type Counter = { project_id: string; day: string; outcome: string; attempts: number };

async function counters(db: Kysely<unknown>): Promise<Counter[]> {
  const rows = await sql<Counter>`select project_id, day, outcome, attempts from download_refused_daily order by project_id, day, outcome`.execute(db);
  return rows.rows.map((r) => ({ ...r, attempts: Number(r.attempts) }));
}

/** get-stats' refusal answers as the attempt log gives them (its query before migration 0020). */
async function fromLog(env: TestEnv, since: string): Promise<{ refusals: Array<{ reason: string; attempts: number }>; perDay: Map<string, number> }> {
  const db = env.core.db.kysely;
  const base = () => db.selectFrom('download_events').where('project_id', '=', env.project.id).where('at', '>=', since).where(refusedCondition());
  const reasons = await base().select((eb) => ['outcome', eb.fn.countAll<number>().as('n')]).groupBy('outcome').orderBy('n', 'desc').orderBy('outcome').execute();
  const days = await base().select((eb) => [sql<string>`substr(at, 1, 10)`.as('day'), eb.fn.countAll<number>().as('n')]).groupBy(sql`substr(at, 1, 10)`).execute();
  return { refusals: reasons.map((r) => ({ reason: r.outcome, attempts: Number(r.n) })), perDay: new Map(days.map((d) => [d.day, Number(d.n)])) };
}

for (const dialect of DIALECTS) {
  describe(`get-stats refusals from their day counters on ${label(dialect)}`, () => {
    let env: TestEnv;
    beforeEach(async () => {
      env = await makeEnv({ dialect });
      await env.core.assets.upload(env.project, { slug: 'a.png', content: b64(PNG_1PX) });
    });
    afterEach(() => env.close());

    it('each refusal counts on its day with its attempt; stats answer as the log does, and without it', async () => {
      const refuse = async (token: string, type: string): Promise<void> => {
        await expect(env.core.downloads.verify(env.project, { token })).rejects.toMatchObject({ type });
      };
      // 40 days back: counted on its day, outside a 30-day window.
      await env.core.downloads.record(env.project.id, null, null, 'TOKEN_INVALID', { ip: '192.0.2.1' }, '2026-01-20T08:00:00.000Z');
      const once = await env.core.downloads.generate(env.project, { asset_url: '/a.png', max_uses: 1, expires_in_hours: 0 });
      await env.core.downloads.verify(env.project, { token: once.token });
      await refuse(once.token, 'TOKEN_EXHAUSTED');
      await refuse(once.token, 'TOKEN_EXHAUSTED');
      const gone = await env.core.downloads.generate(env.project, { asset_url: '/a.png' });
      await env.core.downloads.revoke(env.project, { token_id: gone.token_id });
      await refuse(gone.token, 'TOKEN_REVOKED');
      // Looks and downloads are not refusals.
      await env.core.downloads.record(env.project.id, gone.token_id, 'a.png', 'head', {});
      env.clock.advance(86_400_000);
      // With a download.refused webhook the refusal, its counter and its outbox row share one transaction.
      await env.core.downloads.webhooks.set(env.project, { url: 'https://hooks.example.com/sitepub', events: ['download.refused'] });
      const brief = await env.core.downloads.generate(env.project, { asset_url: '/a.png', expires_in_hours: 1 });
      env.clock.advance(2 * 3_600_000);
      await refuse(brief.token, 'TOKEN_EXPIRED');
      await refuse(once.token, 'TOKEN_EXHAUSTED');
      await env.core.downloads.record(env.project.id, null, null, 'TOKEN_INVALID', { ip: '192.0.2.1' });

      const db = env.core.db.kysely as unknown as Kysely<unknown>;
      const p = env.project.id;
      const kept = await counters(db);
      expect(kept).toEqual([
        { project_id: p, day: '2026-01-20', outcome: 'TOKEN_INVALID', attempts: 1 },
        { project_id: p, day: '2026-03-01', outcome: 'TOKEN_EXHAUSTED', attempts: 2 },
        { project_id: p, day: '2026-03-01', outcome: 'TOKEN_REVOKED', attempts: 1 },
        { project_id: p, day: '2026-03-02', outcome: 'TOKEN_EXHAUSTED', attempts: 1 },
        { project_id: p, day: '2026-03-02', outcome: 'TOKEN_EXPIRED', attempts: 1 },
        { project_id: p, day: '2026-03-02', outcome: 'TOKEN_INVALID', attempts: 1 },
      ]);
      await rebuildRefusalCounts(db);
      expect(await counters(db)).toEqual(kept);
      expect(Number((await sql<{ n: number }>`select count(*) as n from webhook_outbox`.execute(db)).rows[0]!.n)).toBe(2);

      const stats = await env.core.downloads.stats(env.project, 30);
      const log = await fromLog(env, stats.since);
      expect(stats.refusals).toEqual(log.refusals);
      expect(stats.refusals).toEqual([
        { reason: 'TOKEN_EXHAUSTED', attempts: 3 },
        { reason: 'TOKEN_EXPIRED', attempts: 1 },
        { reason: 'TOKEN_INVALID', attempts: 1 },
        { reason: 'TOKEN_REVOKED', attempts: 1 },
      ]);
      expect(stats.refused_attempts).toBe(6);
      for (const d of stats.daily) expect(d.refused, d.date).toBe(log.perDay.get(d.date) ?? 0);
      expect(stats.daily.slice(-2)).toEqual([
        { date: '2026-03-01', downloads: 1, refused: 3 },
        { date: '2026-03-02', downloads: 0, refused: 3 },
      ]);

      // get-stats reads the counters, never the attempt log (which grows with every attempt): with
      // the log emptied it answers the same.
      await sql`delete from download_events`.execute(db);
      expect(await env.core.downloads.stats(env.project, 30)).toEqual(stats);
    });
  });

  describe(`migration 0020 on ${label(dialect)}: refusals already in the log are counted`, () => {
    it('backfills one counter per project, day and refusal reason; leaves downloads, looks and updates out', async () => {
      const { db, cleanup } = await openTestDb(dialect);
      try {
        const before = MIGRATIONS.filter((m) => m.name < '0020');
        const schema = dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(db.kysely)).rows[0]?.s : undefined;
        const provider = { getMigrations: async (): Promise<Record<string, KyselyMigration>> => Object.fromEntries(before.map((m) => [m.name, { up: (k: Kysely<unknown>) => m.up(k, db.dialect) }])) };
        const r = await new Migrator({ db: db.kysely, provider, ...(schema ? { migrationTableSchema: schema } : {}) }).migrateToLatest();
        expect(r.error).toBeUndefined();
        const k = db.kysely as unknown as Kysely<Record<string, Record<string, unknown>>>;
        for (const id of ['prj_a', 'prj_b']) await k.insertInto('projects').values({ id, name: id, subdomain: id, created_at: '2026-01-01T00:00:00.000Z' }).execute();
        const events: Array<[string, string, string]> = [
          ['prj_a', '2026-02-01T00:00:00.000Z', 'TOKEN_EXPIRED'],
          ['prj_a', '2026-02-01T23:59:59.999Z', 'TOKEN_EXPIRED'],
          ['prj_a', '2026-02-01T10:00:00.000Z', 'TOKEN_INVALID'],
          ['prj_a', '2026-02-02T00:00:00.000Z', 'TOKEN_EXPIRED'],
          ['prj_b', '2026-02-01T12:00:00.000Z', 'TOKEN_EXPIRED'],
          ...(['ok', 'range', 'head', 'preview', 'updated'] as const).map((o): [string, string, string] => ['prj_a', '2026-02-01T12:00:00.000Z', o]),
        ];
        for (const [project_id, at, outcome] of events) await k.insertInto('download_events').values({ project_id, token_id: null, asset_slug: null, at, outcome, ip: null, visitor_id: null, user_agent: null }).execute();
        expect(await migrate(db)).toEqual(['0020-refusal-counts']);
        expect(await counters(db.kysely as unknown as Kysely<unknown>)).toEqual([
          { project_id: 'prj_a', day: '2026-02-01', outcome: 'TOKEN_EXPIRED', attempts: 2 },
          { project_id: 'prj_a', day: '2026-02-01', outcome: 'TOKEN_INVALID', attempts: 1 },
          { project_id: 'prj_a', day: '2026-02-02', outcome: 'TOKEN_EXPIRED', attempts: 1 },
          { project_id: 'prj_b', day: '2026-02-01', outcome: 'TOKEN_EXPIRED', attempts: 1 },
        ]);
      } finally {
        await cleanup();
      }
    });
  });
}
