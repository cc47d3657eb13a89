import type { CompiledQuery, Kysely } from 'kysely';
import type { Db } from '../db/connect.js';
import { GroupCommit } from '../db/group-commit.js';
import type { Database, DownloadTokenTable } from '../db/schema.js';
import { syncRead } from '../db/sync-read.js';
import type { Clock } from './clock.js';
import type { DownloadQueries } from './download-queries.js';
import { attemptEvent, bundleSlugsQuery, hookEvents, outboxSteps, useSteps, type AttemptInfo, type AttemptRecorder } from './download-record.js';
import { classifyToken } from './download-state.js';
import { fileMissing, tokenError } from './download-token-errors.js';
import type { SitepubError } from './errors.js';
import { isWellFormedToken, sha256Hex, tokenHash } from './ids.js';
import type { WebhookRegistry } from './webhooks/registry.js';

/** A consumed (or validated) token with what is needed to serve the file. */
export interface Grant {
  token: DownloadTokenTable;
  use_count: number;
  remaining_uses: number | null;
  /** Set (and nothing consumed) when a direct GET meets a token that asks for the confirmation page. */
  confirmation_required?: true;
  /** Set (and nothing consumed) when a request that serves the bytes meets a stamped token: stamp, then consume with `stamped`. */
  stamp_required?: true;
}

export interface ConsumeOptions {
  /** Only a token of this project (verify-token). */
  projectId?: string;
  /** Opens a Range grant for this client fingerprint (see grantFingerprint). */
  grantFp?: string;
  /** A direct GET: a token that asks for confirmation answers with the grant to confirm instead. */
  direct?: boolean;
  /**
   * This request sends the file (a link, not verify-token). A stamped token then answers with
   * `stamp_required` instead of consuming, unless `stamped` says the stamped copy is ready.
   */
  serves?: boolean;
  stamped?: boolean;
}

/** How long after a use its Range continuations stay free. */
const GRANT_MS = 15 * 60 * 1000;

function grantOf(row: DownloadTokenTable): Grant {
  return { token: row, use_count: row.use_count, remaining_uses: row.max_uses === 0 ? null : Math.max(0, row.max_uses - row.use_count) };
}

/** Client fingerprint for Range grants: a hash, so no raw address is stored with the token. */
export function grantFingerprint(ip: string | null | undefined, userAgent: string | null | undefined): string {
  const prefix = ip ? (ip.includes(':') ? ip.split(':').slice(0, 4).join(':') : ip.split('.').slice(0, 3).join('.')) : '';
  return sha256Hex(`${prefix}|${userAgent ?? ''}`).slice(0, 32);
}

/** The use side of download tokens: consuming a use, looking without consuming, and Range grants. */
export class DownloadConsumer {
  private readonly commits: GroupCommit;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlDb: Db,
    private readonly clock: Clock,
    private readonly queries: DownloadQueries,
    private readonly recorder: AttemptRecorder,
    private readonly hooks: WebhookRegistry,
  ) {
    this.commits = new GroupCommit(sqlDb);
  }

  /**
   * Consumes one use in a single conditional UPDATE ... RETURNING: concurrent callers, in one process
   * or many, can never get more successes than max_uses. Only when nothing was consumed does a
   * second read say why. `grantFp` opens a short window in which Range continuations are free.
   */
  async consume(rawToken: string, attempt: AttemptInfo, opts: ConsumeOptions = {}): Promise<Grant> {
    const now = this.clock.now();
    const nowIso = now.toISOString();
    if (!isWellFormedToken(rawToken, 'download')) throw tokenError('TOKEN_INVALID');
    const hash = tokenHash(rawToken);
    const visitor = attempt.visitorId ?? null;
    const shape = { grant: !!opts.grantFp, visitor: visitor !== null, project: !!opts.projectId, direct: !!opts.direct, unstamped: !!opts.serves && !opts.stamped };
    const values = {
      now: nowIso,
      hash,
      visitor: visitor ?? '',
      project: opts.projectId ?? '',
      fp: opts.grantFp ?? '',
      until: new Date(now.getTime() + GRANT_MS).toISOString(),
    };
    const hooks = this.hooks;
    let queued = false;
    const grouped = this.commits.run((all, run) => {
      const hit = run(this.queries.consume(shape, true)(values)) === 1 ? all(this.queries.tokenByHash(hash) as CompiledQuery<DownloadTokenTable>)[0] : undefined;
      if (!hit) return hit;
      for (const q of useSteps(this.queries, hit, attempt, nowIso)) all(q);
      // Webhook events in the same transaction as the use; without webhooks, a cached empty set.
      const events = hookEvents(hooks.cached(hit.project_id) ?? hooks.remember(hit.project_id, all(hooks.query(hit.project_id))), hit, 'ok');
      if (events.length) {
        const slugs = hit.bundle > 0 ? all(bundleSlugsQuery(this.db, hit.id)).map((r) => r.asset_slug) : undefined;
        for (const q of outboxSteps(hooks, events, hit, 'ok', slugs, nowIso)) all(q);
        queued = true;
      }
      return hit;
    });
    const row = grouped
      ? await grouped
      : await this.db.transaction().execute(async (tx) => {
          const hit = (await tx.executeQuery(this.queries.consume(shape)(values) as CompiledQuery<DownloadTokenTable>)).rows[0];
          if (!hit) return hit;
          for (const q of useSteps(this.queries, hit, attempt, nowIso)) await tx.executeQuery(q);
          const events = hookEvents(hooks.cached(hit.project_id) ?? hooks.remember(hit.project_id, (await tx.executeQuery(hooks.query(hit.project_id))).rows), hit, 'ok');
          if (events.length) {
            const slugs = hit.bundle > 0 ? (await tx.executeQuery(bundleSlugsQuery(this.db, hit.id))).rows.map((r) => r.asset_slug) : undefined;
            for (const q of outboxSteps(hooks, events, hit, 'ok', slugs, nowIso)) await tx.executeQuery(q);
            queued = true;
          }
          return hit;
        });
    if (queued) hooks.queued();
    if (row) return grantOf(row);
    const refused = await this.refusal(hash, visitor, opts, nowIso);
    if (!('error' in refused)) return refused;
    if (refused.row) await this.recorder.recordRefusal(refused.row, refused.error.type, attempt, nowIso);
    throw refused.error;
  }

  /**
   * Validates without consuming (HEAD, link previews, the confirmation page). `anyVisitor` skips
   * only the visitor check: a POST asks this before reading the form that carries the visitor id.
   */
  async peek(rawToken: string, attempt: AttemptInfo, opts: { anyVisitor?: boolean } = {}): Promise<Grant> {
    if (!isWellFormedToken(rawToken, 'download')) throw tokenError('TOKEN_INVALID');
    const nowIso = this.clock.now().toISOString();
    const q = this.queries.tokenByHash(tokenHash(rawToken)) as CompiledQuery<DownloadTokenTable>;
    const row = (syncRead(this.sqlDb, q) ?? (await this.db.executeQuery(q)).rows)[0];
    if (!row) throw tokenError('TOKEN_INVALID');
    const reason = classifyToken(row, opts.anyVisitor ? row.visitor_id : (attempt.visitorId ?? null), nowIso);
    if (reason) throw tokenError(reason, row);
    return grantOf(row);
  }

  /**
   * The open Range grant of this client (fingerprint), with free continuations left, on a token
   * neither revoked nor expired; undefined otherwise. Reads only: whether the request is a real
   * resume depends on the file (its size and ETag), which the caller checks before takeContinuation.
   */
  async openGrant(rawToken: string, grantFp: string): Promise<Grant | undefined> {
    if (!isWellFormedToken(rawToken, 'download')) return undefined;
    const q = this.queries.openGrant({ hash: tokenHash(rawToken), fp: grantFp, now: this.clock.now().toISOString() }) as CompiledQuery<DownloadTokenTable>;
    const row = (syncRead(this.sqlDb, q) ?? (await this.db.executeQuery(q)).rows)[0];
    return row ? grantOf(row) : undefined;
  }

  /**
   * Takes one free continuation of an open grant and records it ('range'). False when none was
   * left or the token stopped being usable meanwhile: the caller then consumes a use instead.
   */
  async takeContinuation(g: Grant, grantFp: string, attempt: AttemptInfo): Promise<boolean> {
    const nowIso = this.clock.now().toISOString();
    const take = this.queries.takeContinuation({ id: g.token.id, fp: grantFp, now: nowIso });
    const event = attemptEvent(this.queries, g.token, 'range', attempt, nowIso);
    const grouped = this.commits.run((all, run) => {
      if (run(take) !== 1) return false;
      all(event);
      return true;
    });
    if (grouped) return grouped;
    const taken = Number((await this.db.executeQuery(take)).numAffectedRows ?? 0) === 1;
    if (taken) await this.db.executeQuery(event);
    return taken;
  }

  /** The token's files that do not exist now (its one file, or those of its bundle). */
  private async missingFiles(row: DownloadTokenTable): Promise<string[]> {
    const slugs = row.bundle > 0 ? (await this.db.executeQuery(bundleSlugsQuery(this.db, row.id))).rows.map((r) => r.asset_slug) : [row.asset_slug];
    const found = await this.db.selectFrom('assets').select('slug').where('project_id', '=', row.project_id).where('slug', 'in', slugs).execute();
    const have = new Set(found.map((r) => r.slug));
    return slugs.filter((s) => !have.has(s));
  }

  /** Why nothing was consumed; or, for a usable token that wants confirmation or a stamped copy, the grant to prepare. */
  private async refusal(hash: string, visitor: string | null, opts: ConsumeOptions, nowIso: string): Promise<{ error: SitepubError; row?: DownloadTokenTable } | Grant> {
    let q = this.db.selectFrom('download_tokens').selectAll().where('token_hash', '=', hash);
    if (opts.projectId) q = q.where('project_id', '=', opts.projectId);
    const row = await q.executeTakeFirst();
    if (!row) return { error: tokenError('TOKEN_INVALID') };
    const reason = classifyToken(row, visitor, nowIso);
    if (reason) return { error: tokenError(reason, row), row };
    // A usable token: a file is missing (the UPDATE takes a use only while all exist), it asks for
    // confirmation or a stamped copy, or a concurrent request took the last use between the UPDATE and this read.
    const missing = await this.missingFiles(row);
    if (missing.length) return { error: fileMissing(row, missing), row };
    if (row.confirm === 1 && opts.direct) return { ...grantOf(row), confirmation_required: true };
    if (row.stamp !== null && opts.serves && !opts.stamped) return { ...grantOf(row), stamp_required: true };
    return { error: tokenError('TOKEN_EXHAUSTED', row), row };
  }
}
