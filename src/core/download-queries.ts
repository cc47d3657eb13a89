import type { CompiledQuery, Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { Database } from '../db/schema.js';
import { template } from '../db/query-template.js';
import { NO_EXPIRY } from '../db/migrations/0006-token-state-counters.js';

/**
 * Free Range continuations per use. A download manager resumes a broken transfer a few times; a
 * bound keeps one paid use from turning into unlimited copies while the 15-minute grant is open.
 */
export const GRANT_CONTINUATIONS = 16;

/** Which conditions and effects one consume UPDATE carries; each combination is its own compiled query. */
export interface ConsumeShape {
  /** Opens a Range grant for the client fingerprint (`fp`, `until`). */
  readonly grant: boolean;
  /** The request carries a visitor id: tokens bound to it match too (`visitor`). */
  readonly visitor: boolean;
  /** Only a token of this project (`project`): verify-token over the API. */
  readonly project: boolean;
  /** A direct GET: tokens that ask for the confirmation page are left for it. */
  readonly direct: boolean;
  /**
   * The request serves the bytes but has no stamped copy ready: stamped tokens are left alone, so
   * the caller stamps first and then consumes (a PDF that cannot be stamped costs no use).
   */
  readonly unstamped: boolean;
}

type ConsumeKey = 'now' | 'hash' | 'fp' | 'until' | 'visitor' | 'project';

/** The download hot path's queries, each compiled once per shape and reused with new values. */
export class DownloadQueries {
  constructor(private readonly db: Kysely<Database>) {}

  /** Indexed by the shape's five flags and `plain` as bits: a lookup that builds no key string per request. */
  private readonly consumeQueries: Array<ReturnType<typeof template> | undefined> = new Array(64).fill(undefined);

  /**
   * The conditional UPDATE for one shape, compiled once: with RETURNING, or, for SQLite's group
   * commit (`plain`), without (RETURNING costs SQLite an ephemeral table, more than the update
   * itself; the row is then read by hash in the same transaction, see tokenByHash).
   */
  consume(shape: ConsumeShape, plain = false): ReturnType<typeof template> {
    const slot = (shape.grant ? 1 : 0) | (shape.visitor ? 2 : 0) | (shape.project ? 4 : 0) | (shape.direct ? 8 : 0) | (shape.unstamped ? 16 : 0) | (plain ? 32 : 0);
    return (this.consumeQueries[slot] ??= this.compileConsume(shape, plain));
  }

  private compileConsume({ grant, visitor, project, direct, unstamped }: ConsumeShape, plain: boolean): ReturnType<typeof template> {
    const keys: ConsumeKey[] = ['now', 'hash', ...(grant ? (['fp', 'until'] as const) : []), ...(visitor ? (['visitor'] as const) : []), ...(project ? (['project'] as const) : [])];
    return template(keys, (p) => {
      let q = this.db
        .updateTable('download_tokens')
        .set((eb) => ({ use_count: eb('use_count', '+', 1), last_used_at: p.now, ...(grant ? { grant_fp: p.fp, grant_until: p.until, grant_left: GRANT_CONTINUATIONS } : {}) }))
        .where('token_hash', '=', p.hash)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', p.now)]))
        .where((eb) => eb.or([eb('max_uses', '=', 0), eb('use_count', '<', eb.ref('max_uses'))]))
        .where((eb) => (visitor ? eb.or([eb('visitor_id', 'is', null), eb('visitor_id', '=', p.visitor)]) : eb('visitor_id', 'is', null)))
        // Nothing lost: a use is taken only while its file exists (every file of a bundle), in the same statement.
        .where((eb) => fileExists(eb))
        .where((eb) => eb.or([eb('bundle', '=', 0), eb.not(eb.exists(missingBundleFile(eb)))]));
      if (project) q = q.where('project_id', '=', p.project);
      if (direct) q = q.where('confirm', '=', 0);
      if (unstamped) q = q.where('stamp', 'is', null);
      return plain ? q : q.returningAll();
    });
  }

  private byHashTemplate?: ReturnType<typeof template<'hash'>>;
  /** A token row by its hash (after a plain consume changed it, in the same transaction). */
  tokenByHash(hash: string): CompiledQuery<unknown> {
    this.byHashTemplate ??= template(['hash'], (p) => this.db.selectFrom('download_tokens').selectAll().where('token_hash', '=', p.hash));
    return this.byHashTemplate({ hash });
  }

  private openGrantTemplate?: ReturnType<typeof template<'hash' | 'fp' | 'now'>>;
  /** The token, if this client's grant is open (grantOpen). */
  openGrant(v: Record<'hash' | 'fp' | 'now', unknown>): CompiledQuery<unknown> {
    this.openGrantTemplate ??= template(['hash', 'fp', 'now'], (p) =>
      this.db
        .selectFrom('download_tokens')
        .selectAll()
        .where('token_hash', '=', p.hash)
        .where((eb) => grantOpen(eb, p)),
    );
    return this.openGrantTemplate(v);
  }

  private takeTemplate?: ReturnType<typeof template<'id' | 'fp' | 'now'>>;
  /**
   * Takes one free continuation: the conditions of openGrant (grantOpen), re-checked by the UPDATE itself,
   * so concurrent requests in any number of processes take at most grant_left of them.
   */
  takeContinuation(v: Record<'id' | 'fp' | 'now', unknown>): CompiledQuery<unknown> {
    this.takeTemplate ??= template(['id', 'fp', 'now'], (p) =>
      this.db
        .updateTable('download_tokens')
        .set((eb) => ({ grant_left: eb('grant_left', '-', 1) }))
        .where('id', '=', p.id)
        .where((eb) => grantOpen(eb, p)),
    );
    return this.takeTemplate(v);
  }

  private eventTemplate?: ReturnType<typeof template<'project' | 'token' | 'asset' | 'at' | 'outcome' | 'ip' | 'visitor' | 'ua'>>;
  event(v: Record<'project' | 'token' | 'asset' | 'at' | 'outcome' | 'ip' | 'visitor' | 'ua', unknown>): CompiledQuery<unknown> {
    this.eventTemplate ??= template(['project', 'token', 'asset', 'at', 'outcome', 'ip', 'visitor', 'ua'], (p) =>
      this.db.insertInto('download_events').values({ project_id: p.project, token_id: p.token, asset_slug: p.asset, at: p.at, outcome: p.outcome, ip: p.ip, visitor_id: p.visitor, user_agent: p.ua }),
    );
    return this.eventTemplate(v);
  }

  private dailyTemplate?: ReturnType<typeof template<'project' | 'day' | 'asset'>>;
  /** One use of a one-file link on the day's counter: one file sent, one use. */
  daily(v: Record<'project' | 'day' | 'asset', unknown>): CompiledQuery<unknown> {
    this.dailyTemplate ??= template(['project', 'day', 'asset'], (p) =>
      this.db
        .insertInto('download_daily')
        .values({ project_id: p.project, day: p.day, asset_slug: p.asset, downloads: 1, uses: 1 })
        .onConflict((oc) => oc.columns(['project_id', 'day', 'asset_slug']).doUpdateSet((eb) => ({ downloads: eb('download_daily.downloads', '+', 1), uses: eb('download_daily.uses', '+', 1) }))),
    );
    return this.dailyTemplate(v);
  }

  private bundleDailyTemplate?: ReturnType<typeof template<'token' | 'day'>>;
  /** One use of a bundle link on the day's counters: each of its files sent once, the use counted on the first. */
  bundleDaily(v: Record<'token' | 'day', unknown>): CompiledQuery<unknown> {
    this.bundleDailyTemplate ??= template(['token', 'day'], (p) =>
      this.db
        .insertInto('download_daily')
        .columns(['project_id', 'day', 'asset_slug', 'downloads', 'uses'])
        .expression((eb) =>
          eb
            .selectFrom('download_bundle_files')
            .select((s) => ['project_id', s.val(p.day).as('day'), 'asset_slug', s.lit(1).as('downloads'), s.case().when('position', '=', 0).then(1).else(0).end().as('uses')])
            .where('token_id', '=', p.token),
        )
        .onConflict((oc) =>
          oc.columns(['project_id', 'day', 'asset_slug']).doUpdateSet((eb) => ({
            downloads: eb('download_daily.downloads', '+', eb.ref('excluded.downloads')),
            uses: eb('download_daily.uses', '+', eb.ref('excluded.uses')),
          })),
        ),
    );
    return this.bundleDailyTemplate(v);
  }

  private refusedTemplate?: ReturnType<typeof template<'project' | 'day' | 'outcome'>>;
  /** One refusal on the day's counter of its outcome (migration 0020). */
  refusedDaily(v: Record<'project' | 'day' | 'outcome', unknown>): CompiledQuery<unknown> {
    this.refusedTemplate ??= template(['project', 'day', 'outcome'], (p) =>
      this.db
        .insertInto('download_refused_daily')
        .values({ project_id: p.project, day: p.day, outcome: p.outcome, attempts: 1 })
        .onConflict((oc) => oc.columns(['project_id', 'day', 'outcome']).doUpdateSet((eb) => ({ attempts: eb('download_refused_daily.attempts', '+', 1) }))),
    );
    return this.refusedTemplate(v);
  }

  private stateTemplate?: ReturnType<typeof template<'project' | 'day' | 'hour' | 'tokens' | 'revoked' | 'exhausted'>>;
  /** Adds to the token-state counters of one creation day and expiry hour (see migration 0006). */
  stateCounts(v: Record<'project' | 'day' | 'hour' | 'tokens' | 'revoked' | 'exhausted', unknown>): CompiledQuery<unknown> {
    this.stateTemplate ??= template(['project', 'day', 'hour', 'tokens', 'revoked', 'exhausted'], (p) =>
      this.db
        .insertInto('download_token_daily')
        .values({ project_id: p.project, created_day: p.day, expiry_hour: p.hour, tokens: num(p.tokens), revoked: num(p.revoked), exhausted: num(p.exhausted) })
        .onConflict((oc) =>
          oc.columns(['project_id', 'created_day', 'expiry_hour']).doUpdateSet((eb) => ({
            tokens: eb('download_token_daily.tokens', '+', eb.ref('excluded.tokens')),
            revoked: eb('download_token_daily.revoked', '+', eb.ref('excluded.revoked')),
            exhausted: eb('download_token_daily.exhausted', '+', eb.ref('excluded.exhausted')),
          })),
        ),
    );
    return this.stateTemplate(v);
  }
}

/** The counter bucket of a token (see migration 0006). */
export function tokenBucket(t: { project_id: string; created_at: string; expires_at: string | null }): { project: string; day: string; hour: string } {
  return { project: t.project_id, day: t.created_at.slice(0, 10), hour: t.expires_at ? t.expires_at.slice(0, 13) : NO_EXPIRY };
}

/**
 * This client's grant is open with continuations left, on a token neither revoked nor expired
 * (expiry ends a grant early: a grant never outlives its link). Read by openGrant, re-checked by
 * takeContinuation.
 */
function grantOpen(eb: ExpressionBuilder<Database, 'download_tokens'>, p: Record<'fp' | 'now', string>): Expression<SqlBool> {
  return eb.and([eb('grant_fp', '=', p.fp), eb('grant_until', '>', p.now), eb('grant_left', '>', 0), eb('revoked_at', 'is', null), eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', p.now)])]);
}

/** The token's file exists (its asset row; the asset's blob goes only with its last asset). */
function fileExists(eb: ExpressionBuilder<Database, 'download_tokens'>): Expression<SqlBool> {
  return eb.exists(
    eb
      .selectFrom('assets')
      .select('assets.id')
      .whereRef('assets.project_id', '=', 'download_tokens.project_id')
      .whereRef('assets.slug', '=', 'download_tokens.asset_slug'),
  );
}

/** A file of this bundle token that does not exist now (none for a one-file token). */
function missingBundleFile(eb: ExpressionBuilder<Database, 'download_tokens'>) {
  return eb
    .selectFrom('download_bundle_files as f')
    .select('f.position')
    .whereRef('f.token_id', '=', 'download_tokens.id')
    .where((e) => e.not(e.exists(e.selectFrom('assets').select('assets.id').whereRef('assets.project_id', '=', 'f.project_id').whereRef('assets.slug', '=', 'f.asset_slug'))));
}

/** A template placeholder standing where the query takes a number. */
const num = (placeholder: string): number => placeholder as unknown as number;
