import type { CompiledQuery, Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database, DownloadTokenTable } from '../db/schema.js';
import type { AssetService } from './assets.js';
import type { Clock } from './clock.js';
import type { UrlConfig } from './config.js';
import { SitepubError, invalid, notFound, type ErrorType } from './errors.js';
import { isWellFormedToken, mintToken, newId, sha256Hex, tokenDisplayPrefix, tokenHash } from './ids.js';
import type { Project } from './projects.js';
import type { Db } from '../db/connect.js';
import { GroupCommit } from '../db/group-commit.js';
import { syncRead } from '../db/sync-read.js';
import { DownloadQueries, tokenBucket } from './download-queries.js';
import { DownloadReports } from './download-reports.js';
import { classifyToken } from './download-state.js';
export { classifyToken, type DownloadListItem, type TokenStatus } from './download-state.js';
import type { RateLimiter } from './rate-limit.js';
import { normalizeSlug } from './slug.js';

export interface GenerateTokenInput {
  asset_url: string;
  filename?: string | undefined;
  expires_in_hours?: number | undefined;
  expires_in_minutes?: number | undefined;
  max_uses?: number | undefined;
  visitor_id?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  content_disposition?: 'attachment' | 'inline' | undefined;
  expiration_redirect_url?: string | undefined;
  require_confirmation?: boolean | undefined;
}

export interface GeneratedToken {
  token: string;
  token_id: string;
  token_prefix: string;
  download_url: string;
  asset_url: string;
  filename: string;
  content_disposition: 'attachment' | 'inline';
  expires_at: string | null;
  max_uses: number;
  visitor_id: string | null;
  metadata: Record<string, unknown>;
  require_confirmation: boolean;
  expiration_redirect_url: string | null;
  created_at: string;
}

export interface AttemptInfo {
  ip?: string | null | undefined;
  visitorId?: string | null | undefined;
  userAgent?: string | null | undefined;
}

/** A consumed (or validated) token with what is needed to serve the file. */
export interface Grant {
  token: DownloadTokenTable;
  use_count: number;
  remaining_uses: number | null;
  /** Set (and nothing consumed) when a direct GET meets a token that asks for the confirmation page. */
  confirmation_required?: true;
}

const MAX_FILENAME_BYTES = 150;
const MAX_METADATA_BYTES = 4096;
const GRANT_MS = 15 * 60 * 1000;
/** One recorded HEAD or preview per token and outcome per window (see recordLook). */
const LOOK_WINDOW_MS = 60_000;
const LOOK_KEYS = 10_000;

const REASON_TEXT: Record<string, string> = {
  TOKEN_INVALID: 'This download link is not valid.',
  TOKEN_REVOKED: 'This download link has been revoked by the seller.',
  TOKEN_EXPIRED: 'This download link has expired.',
  TOKEN_EXHAUSTED: 'This download link has been used the maximum number of times.',
  TOKEN_WRONG_VISITOR: 'This download link belongs to another customer.',
};

function tokenError(type: ErrorType, token?: Pick<DownloadTokenTable, 'id' | 'expiration_redirect_url'>): SitepubError {
  const recovery: Record<string, string> = {
    TOKEN_INVALID: 'Check that the whole token was copied; list-downloads shows existing tokens by prefix.',
    TOKEN_REVOKED: 'Generate a new token with file-downloads_generate_token if the buyer should still get the file.',
    TOKEN_EXPIRED: 'Generate a new token (expires_in_hours, or 0 for no expiry).',
    TOKEN_EXHAUSTED: 'Generate a new token, or one with a higher max_uses (0 = unlimited).',
    TOKEN_WRONG_VISITOR: 'Pass the visitor_id the token was generated for.',
  };
  return new SitepubError(type, `${REASON_TEXT[type] ?? 'Refused.'} ${recovery[type] ?? ''}`.trim(), {
    ...(token ? { token_id: token.id } : {}),
    ...(token?.expiration_redirect_url ? { redirect_url: token.expiration_redirect_url } : {}),
  });
}

function grantOf(row: DownloadTokenTable): Grant {
  return { token: row, use_count: row.use_count, remaining_uses: row.max_uses === 0 ? null : Math.max(0, row.max_uses - row.use_count) };
}

export const humanReason = (type: string): string => REASON_TEXT[type] ?? 'This download link cannot be used.';

/** Filename for Content-Disposition: NFC, no path or shell-special characters, at most 150 bytes. */
export function sanitizeFilename(raw: string): string {
  let s = raw.normalize('NFC').replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_').trim();
  while (Buffer.byteLength(s, 'utf8') > MAX_FILENAME_BYTES) s = s.slice(0, -1);
  return s || 'download';
}

function nonNegInt(v: number | undefined, field: string, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 0 || v > max) throw invalid(`${field} must be a whole number from 0 to ${max}`, { field });
  return v;
}

export class DownloadService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly urls: UrlConfig,
    private readonly assets: AssetService,
    private readonly limiter: RateLimiter,
    private readonly sqlDb: Db,
  ) {
    this.commits = new GroupCommit(sqlDb);
    this.queries = new DownloadQueries(db);
    this.reports = new DownloadReports(db, clock, (project, assetUrl) => this.resolveAssetSlug(project, assetUrl));
  }

  private readonly reports: DownloadReports;
  private readonly commits: GroupCommit;
  private readonly queries: DownloadQueries;

  downloadUrl(token: string): string {
    return `${this.urls.publicUrl}/d/${token}`;
  }

  /** Accepts `/files/a.pdf`, `files/a.pdf` or the asset's public URL on this project's site. */
  resolveAssetSlug(project: Project, assetUrl: string): string {
    if (typeof assetUrl !== 'string' || !assetUrl.trim()) throw invalid('asset_url is required', { field: 'asset_url' });
    let p = assetUrl.trim();
    if (/^[a-z][a-z0-9+.-]*:/i.test(p)) {
      let u: URL;
      try {
        u = new URL(p);
      } catch {
        throw invalid(`asset_url "${p}" is not a valid URL`, { field: 'asset_url' });
      }
      if (u.hostname.toLowerCase() !== project.domain) {
        throw invalid(`asset_url must name an asset of this project (host ${project.domain}), by path like "/files/ebook.pdf" or its site URL.`, { field: 'asset_url' });
      }
      p = u.pathname;
    }
    p = p.split(/[?#]/)[0]!.replace(/^\/+/, '');
    try {
      p = decodeURIComponent(p);
    } catch {
      throw invalid(`asset_url "${assetUrl}" has broken percent-encoding`, { field: 'asset_url' });
    }
    return normalizeSlug(p, 'asset');
  }

  async generate(project: Project, input: GenerateTokenInput): Promise<GeneratedToken> {
    const slug = this.resolveAssetSlug(project, input.asset_url);
    const asset = await this.assets.getInfo(project, slug).catch((e: unknown) => {
      if (e instanceof SitepubError && e.type === 'NOT_FOUND') {
        throw notFound(`Asset "${slug}"`, { hint: 'Upload it first with assets_upload (private: true keeps it off the public site).' });
      }
      throw e;
    });
    const hours = nonNegInt(input.expires_in_hours, 'expires_in_hours', 24 * 365 * 10);
    const minutes = nonNegInt(input.expires_in_minutes, 'expires_in_minutes', 60 * 24 * 365 * 10);
    const maxUses = nonNegInt(input.max_uses, 'max_uses', 1_000_000) ?? 1;
    const now = this.clock.now();
    const ttlMs = minutes !== undefined ? minutes * 60_000 : (hours ?? 24) * 3_600_000;
    const expiresAt = ttlMs === 0 ? null : new Date(now.getTime() + ttlMs).toISOString();
    const metadata = input.metadata ?? {};
    if (typeof metadata !== 'object' || Array.isArray(metadata)) throw invalid('metadata must be an object', { field: 'metadata' });
    const metaText = JSON.stringify(metadata);
    if (Buffer.byteLength(metaText) > MAX_METADATA_BYTES) throw invalid(`metadata must be at most ${MAX_METADATA_BYTES} bytes of JSON`, { field: 'metadata' });
    if (input.visitor_id !== undefined && (input.visitor_id.length === 0 || input.visitor_id.length > 200)) {
      throw invalid('visitor_id must be 1 to 200 characters', { field: 'visitor_id' });
    }
    let redirect: string | null = null;
    if (input.expiration_redirect_url !== undefined) {
      let u: URL | undefined;
      try {
        u = new URL(input.expiration_redirect_url);
      } catch {
        u = undefined;
      }
      if (!u || !/^https?:$/.test(u.protocol) || input.expiration_redirect_url.length > 2048) {
        throw invalid('expiration_redirect_url must be an absolute http(s) URL', { field: 'expiration_redirect_url' });
      }
      redirect = u.href;
    }
    const filename = sanitizeFilename(input.filename ?? slug.slice(slug.lastIndexOf('/') + 1));
    const disposition = input.content_disposition ?? 'attachment';
    const token = mintToken('download');
    const row: DownloadTokenTable = {
      id: newId('dlt'),
      project_id: project.id,
      asset_slug: asset.slug,
      token_hash: tokenHash(token),
      token_prefix: tokenDisplayPrefix(token),
      filename,
      disposition,
      expires_at: expiresAt,
      max_uses: maxUses,
      use_count: 0,
      visitor_id: input.visitor_id ?? null,
      metadata: metaText,
      confirm: input.require_confirmation ? 1 : 0,
      expiration_redirect_url: redirect,
      created_at: now.toISOString(),
      last_used_at: null,
      revoked_at: null,
      grant_fp: null,
      grant_until: null,
      grant_left: 0,
    };
    const counted = this.queries.stateCounts({ ...tokenBucket(row), tokens: 1, revoked: 0, exhausted: 0 });
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('download_tokens').values(row).execute();
      await tx.executeQuery(counted);
    });
    return {
      token,
      token_id: row.id,
      token_prefix: row.token_prefix,
      download_url: this.downloadUrl(token),
      asset_url: asset.path,
      filename,
      content_disposition: disposition,
      expires_at: expiresAt,
      max_uses: maxUses,
      visitor_id: row.visitor_id,
      metadata,
      require_confirmation: row.confirm === 1,
      expiration_redirect_url: redirect,
      created_at: row.created_at,
    };
  }

  /**
   * Consumes one use in a single conditional UPDATE ... RETURNING: concurrent callers, in one process
   * or many, can never get more successes than max_uses. Only when nothing was consumed does a
   * second read say why. `grantFp` opens a short window in which Range continuations are free.
   */
  async consume(rawToken: string, attempt: AttemptInfo, opts: { projectId?: string; grantFp?: string; direct?: boolean } = {}): Promise<Grant> {
    const now = this.clock.now();
    const nowIso = now.toISOString();
    if (!isWellFormedToken(rawToken, 'download')) throw tokenError('TOKEN_INVALID');
    const hash = tokenHash(rawToken);
    const visitor = attempt.visitorId ?? null;
    const shape = `${opts.grantFp ? 'g' : ''}${visitor === null ? '' : 'v'}${opts.projectId ? 'p' : ''}${opts.direct ? 'd' : ''}`;
    const values = {
      now: nowIso,
      hash,
      visitor: visitor ?? '',
      project: opts.projectId ?? '',
      fp: opts.grantFp ?? '',
      until: new Date(now.getTime() + GRANT_MS).toISOString(),
    };
    const event = (hit: DownloadTokenTable) =>
      this.queries.event({ project: hit.project_id, token: hit.id, asset: hit.asset_slug, at: nowIso, outcome: 'ok', ip: attempt.ip ?? null, visitor: attempt.visitorId ?? null, ua: attempt.userAgent ? attempt.userAgent.slice(0, 300) : null });
    const daily = (hit: DownloadTokenTable) => this.queries.daily({ project: hit.project_id, day: nowIso.slice(0, 10), asset: hit.asset_slug });
    // The use that exhausts a token moves it to the exhausted counter (get-stats).
    const usedUp = (hit: DownloadTokenTable) => (hit.max_uses > 0 && hit.use_count === hit.max_uses ? this.queries.stateCounts({ ...tokenBucket(hit), tokens: 0, revoked: 0, exhausted: 1 }) : undefined);
    // The use, its record and the day's counter commit together: use_count always equals the recorded downloads.
    const grouped = this.commits.run((all, run) => {
      const hit = run(this.queries.consume(shape, true)(values)) === 1 ? all(this.queries.tokenByHash(hash) as CompiledQuery<DownloadTokenTable>)[0] : undefined;
      if (hit) {
        all(event(hit));
        all(daily(hit));
        const u = usedUp(hit);
        if (u) all(u);
      }
      return hit;
    });
    const row = grouped
      ? await grouped
      : await this.db.transaction().execute(async (tx) => {
          const hit = (await tx.executeQuery(this.queries.consume(shape)(values) as CompiledQuery<DownloadTokenTable>)).rows[0];
          if (hit) {
            await tx.executeQuery(event(hit));
            await tx.executeQuery(daily(hit));
            const u = usedUp(hit);
            if (u) await tx.executeQuery(u);
          }
          return hit;
        });
    if (row) return grantOf(row);
    const refused = await this.refusal(hash, visitor, opts.projectId, nowIso);
    if (!('error' in refused)) return refused;
    if (refused.row) await this.record(refused.row.project_id, refused.row.id, refused.row.asset_slug, refused.error.type, attempt, nowIso);
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
    const event = this.queries.event({ project: g.token.project_id, token: g.token.id, asset: g.token.asset_slug, at: nowIso, outcome: 'range', ip: attempt.ip ?? null, visitor: attempt.visitorId ?? null, ua: attempt.userAgent ? attempt.userAgent.slice(0, 300) : null });
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

  /**
   * Sampled record of a look that consumes nothing (HEAD, link previews): at most one row per token
   * and outcome per minute in this process. Anyone holding a link can send thousands of these a
   * second, and each would be a database write; their exact count is worth nothing (no use, no
   * money), while whether and when a link was looked at is kept. Consumed downloads are never sampled.
   */
  async recordLook(token: DownloadTokenTable, outcome: 'head' | 'preview', attempt: AttemptInfo): Promise<void> {
    const now = this.clock.now();
    const key = `${token.id}\u0000${outcome}`;
    const last = this.looks.get(key);
    if (last !== undefined && now.getTime() - last < LOOK_WINDOW_MS) return;
    this.looks.set(key, now.getTime());
    await this.record(token.project_id, token.id, token.asset_slug, outcome, attempt, now.toISOString());
  }

  private readonly looks = new LRUCache<string, number>({ max: LOOK_KEYS });

  /** Why nothing was consumed; or, for a usable token that wants confirmation, the grant to confirm. */
  private async refusal(hash: string, visitor: string | null, projectId: string | undefined, nowIso: string): Promise<{ error: SitepubError; row?: DownloadTokenTable } | Grant> {
    let q = this.db.selectFrom('download_tokens').selectAll().where('token_hash', '=', hash);
    if (projectId) q = q.where('project_id', '=', projectId);
    const row = await q.executeTakeFirst();
    if (!row) return { error: tokenError('TOKEN_INVALID') };
    const reason = classifyToken(row, visitor, nowIso);
    if (!reason && row.confirm === 1) {
      return { ...grantOf(row), confirmation_required: true };
    }
    // No reason left means a concurrent request took the last use between the UPDATE and this read.
    return { error: tokenError(reason ?? 'TOKEN_EXHAUSTED', row), row };
  }

  /** Records an attempt. Never the token: only its id. */
  async record(projectId: string, tokenId: string | null, assetSlug: string | null, outcome: string, a: AttemptInfo, at?: string): Promise<void> {
    await this.db.executeQuery(
      this.queries.event({ project: projectId, token: tokenId, asset: assetSlug, at: at ?? this.clock.now().toISOString(), outcome, ip: a.ip ?? null, visitor: a.visitorId ?? null, ua: a.userAgent ? a.userAgent.slice(0, 300) : null }),
    );
  }

  /**
   * verify-token over the API: consumes one use. Failed attempts count against `clientKey` (the
   * caller's address), like failed link attempts, so the API cannot be used to guess tokens either.
   */
  async verify(project: Project, input: { token: string; visitor_id?: string | undefined; ip?: string | undefined }, clientKey = 'local'): Promise<{
    valid: true;
    token_id: string;
    asset_url: string;
    filename: string;
    use_count: number;
    remaining_uses: number | null;
    expires_at: string | null;
    download_url: string;
  }> {
    const key = `verify:${clientKey}`;
    const wait = this.limiter.blockedFor(key);
    if (wait > 0) throw new SitepubError('RATE_LIMITED', `Too many failed token checks; retry in ${wait} s.`, { retry_after: wait });
    let g: Grant;
    try {
      g = await this.consume(input.token, { ip: input.ip ?? null, visitorId: input.visitor_id ?? null, userAgent: 'verify-token' }, { projectId: project.id });
    } catch (e) {
      if (e instanceof SitepubError && e.type.startsWith('TOKEN_')) {
        const w = await this.limiter.fail(key);
        if (w > 0) throw new SitepubError('RATE_LIMITED', `Too many failed token checks; retry in ${w} s.`, { retry_after: w });
      }
      throw e;
    }
    return {
      valid: true,
      token_id: g.token.id,
      asset_url: `/${g.token.asset_slug}`,
      filename: g.token.filename,
      use_count: g.use_count,
      remaining_uses: g.remaining_uses,
      expires_at: g.token.expires_at,
      download_url: this.downloadUrl(input.token),
    };
  }

  async revoke(project: Project, input: { token?: string | undefined; token_id?: string | undefined }): Promise<{ token_id: string; revoked: true; revoked_at: string }> {
    if ((input.token === undefined) === (input.token_id === undefined)) {
      throw invalid('Pass exactly one of token or token_id (token_id is shown by file-downloads_list_downloads).', { field: 'token' });
    }
    let q = this.db.selectFrom('download_tokens').select(['id', 'revoked_at']).where('project_id', '=', project.id);
    if (input.token !== undefined) {
      if (!isWellFormedToken(input.token, 'download')) throw tokenError('TOKEN_INVALID');
      q = q.where('token_hash', '=', tokenHash(input.token));
    } else {
      q = q.where('id', '=', input.token_id!);
    }
    const row = await q.executeTakeFirst();
    if (!row) throw tokenError('TOKEN_INVALID');
    if (row.revoked_at) return { token_id: row.id, revoked: true, revoked_at: row.revoked_at };
    const at = this.clock.now().toISOString();
    const revoked = await this.db.transaction().execute(async (tx) => {
      const t = await tx
        .updateTable('download_tokens')
        .set({ revoked_at: at })
        .where('id', '=', row.id)
        .where('revoked_at', 'is', null)
        .returning(['project_id', 'created_at', 'expires_at', 'max_uses', 'use_count'])
        .executeTakeFirst();
      if (!t) return undefined;
      const wasExhausted = t.max_uses > 0 && t.use_count >= t.max_uses;
      await tx.executeQuery(this.queries.stateCounts({ ...tokenBucket(t), tokens: 0, revoked: 1, exhausted: wasExhausted ? -1 : 0 }));
      return t;
    });
    // Revoked meanwhile by another request: report that revocation (idempotent).
    if (!revoked) return this.revoke(project, { token_id: row.id });
    return { token_id: row.id, revoked: true, revoked_at: at };
  }

  list(project: Project, input: Parameters<DownloadReports['list']>[1]): ReturnType<DownloadReports['list']> {
    return this.reports.list(project, input);
  }

  stats(project: Project, days?: number): ReturnType<DownloadReports['stats']> {
    return this.reports.stats(project, days);
  }

  /** Client fingerprint for Range grants: a hash, so no raw address is stored with the token. */
  static fingerprint(ip: string | null | undefined, userAgent: string | null | undefined): string {
    const prefix = ip ? (ip.includes(':') ? ip.split(':').slice(0, 4).join(':') : ip.split('.').slice(0, 3).join('.')) : '';
    return sha256Hex(`${prefix}|${userAgent ?? ''}`).slice(0, 32);
  }
}
