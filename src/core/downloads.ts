import type { Kysely } from 'kysely';
import type { Db } from '../db/connect.js';
import type { Database, DownloadTokenTable } from '../db/schema.js';
import type { AssetService } from './assets.js';
import type { Clock } from './clock.js';
import type { UrlConfig } from './config.js';
import { DownloadConsumer, grantFingerprint, type ConsumeOptions, type Grant } from './download-consume.js';
import { DownloadGenerator, assetSlugOf, downloadUrl, type GenerateTokenInput, type GeneratedToken } from './download-generate.js';
import { guardAssetDelete } from './download-asset-guard.js';
import { DownloadQueries } from './download-queries.js';
import { AttemptRecorder, type AttemptInfo } from './download-record.js';
import { listAttempts, type AttemptFilter, type DownloadAttempt } from './download-attempts.js';
import { PayloadReader, type Payload } from './download-payload.js';
import { DownloadReports } from './download-reports.js';
import { revokeToken, type RevokedToken } from './download-revoke.js';
import { updateToken, type TokenChange, type UpdateTokenInput } from './download-update.js';
import { VERIFY_GUESS_LIMIT, verifyToken, type VerifiedToken } from './download-verify.js';
import type { DownloadListItem } from './download-state.js';
import type { Project } from './projects.js';
import { DbRateLimiter, type RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { WebhookDeliverer, type DeliveryOptions } from './webhooks/delivery.js';
import { WebhookRegistry } from './webhooks/registry.js';
import { WebhookService } from './webhooks/service.js';

export type { ConsumeOptions, Grant } from './download-consume.js';
export { sanitizeFilename, type GenerateTokenInput, type GeneratedToken } from './download-generate.js';
export type { AttemptInfo } from './download-record.js';
export type { Payload } from './download-payload.js';
export { classifyToken, type DownloadListItem, type TokenStatus } from './download-state.js';

/**
 * Download links, one service for the tools, the REST routes and `/d/{token}`. Each part lives in
 * its own file: generate (download-generate.ts), consume, peek and Range grants
 * (download-consume.ts), attempt records (download-record.ts), verify-token (download-verify.ts),
 * revoke (download-revoke.ts), listing and statistics (download-reports.ts).
 */
export class DownloadService {
  private readonly queries: DownloadQueries;
  private readonly generator: DownloadGenerator;
  private readonly recorder: AttemptRecorder;
  private readonly consumer: DownloadConsumer;
  private readonly reports: DownloadReports;
  private readonly payloads: PayloadReader;
  /** verify-token's guesses per credential (VERIFY_GUESS_LIMIT), apart from the links' per-address limiter. */
  private readonly verifyLimiter: RateLimiter;
  /** Which projects want which webhook events (cached), and the outbox rows. */
  readonly hooks: WebhookRegistry;
  /** The project's webhook and its deliveries (webhooks_* tools). */
  readonly webhooks: WebhookService;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly urls: UrlConfig,
    assets: AssetService,
    sqlDb: Db,
    /** Test-only exceptions to the SSRF policy (the server's source_url policy), for webhook deliveries. */
    private readonly fetchPolicy: DeliveryOptions['fetch'] = {},
    verifyLimit: RateLimitOptions = VERIFY_GUESS_LIMIT,
  ) {
    this.queries = new DownloadQueries(db);
    this.hooks = new WebhookRegistry(db, clock);
    this.webhooks = new WebhookService(db, clock, this.hooks);
    this.generator = new DownloadGenerator(db, clock, urls, assets, this.queries);
    this.recorder = new AttemptRecorder(db, clock, this.queries, this.hooks);
    this.consumer = new DownloadConsumer(db, sqlDb, clock, this.queries, this.recorder, this.hooks);
    this.reports = new DownloadReports(db, clock, assetSlugOf);
    this.payloads = new PayloadReader(db, assets);
    this.verifyLimiter = new DbRateLimiter(db, clock, verifyLimit);
    // Deleting a file that links sell refuses (or, forced, revokes them) in the delete's transaction.
    assets.deleteGuard = (tx, projectId, slug, force) => guardAssetDelete(tx, this.queries, projectId, slug, force, clock.now().toISOString());
  }

  /** The background loop that sends webhook events (serve starts one per process). */
  deliverer(opts: DeliveryOptions = {}): WebhookDeliverer {
    return new WebhookDeliverer(this.db, this.clock, this.hooks, { fetch: this.fetchPolicy, ...opts });
  }

  downloadUrl(token: string): string {
    return downloadUrl(this.urls, token);
  }

  /** Accepts `/files/a.pdf`, `files/a.pdf` or the asset's public URL on this project's site. */
  resolveAssetSlug(project: Project, assetUrl: string): string {
    return assetSlugOf(project, assetUrl);
  }

  generate(project: Project, input: GenerateTokenInput): Promise<GeneratedToken> {
    return this.generator.generate(project, input);
  }

  consume(rawToken: string, attempt: AttemptInfo, opts?: ConsumeOptions): Promise<Grant> {
    return this.consumer.consume(rawToken, attempt, opts);
  }

  peek(rawToken: string, attempt: AttemptInfo, opts?: { anyVisitor?: boolean }): Promise<Grant> {
    return this.consumer.peek(rawToken, attempt, opts);
  }

  openGrant(rawToken: string, grantFp: string): Promise<Grant | undefined> {
    return this.consumer.openGrant(rawToken, grantFp);
  }

  takeContinuation(g: Grant, grantFp: string, attempt: AttemptInfo): Promise<boolean> {
    return this.consumer.takeContinuation(g, grantFp, attempt);
  }

  recordLook(token: DownloadTokenTable, outcome: 'head' | 'preview', attempt: AttemptInfo): Promise<void> {
    return this.recorder.recordLook(token, outcome, attempt);
  }

  /** What a link sends for this token on `day` (YYYY-MM-DD: a stamp's {date}); undefined when a file is missing. */
  payload(token: DownloadTokenTable, day: string): Promise<Payload | undefined> {
    return this.payloads.forToken(token, day);
  }

  /** Records a refusal of a known token (and its webhook event), e.g. a PDF that could not be stamped. */
  recordRefusal(token: DownloadTokenTable, outcome: string, attempt: AttemptInfo): Promise<void> {
    return this.recorder.recordRefusal(token, outcome, attempt, this.clock.now().toISOString());
  }

  /** Records an attempt. Never the token: only its id. */
  record(projectId: string, tokenId: string | null, assetSlug: string | null, outcome: string, a: AttemptInfo, at?: string): Promise<void> {
    return this.recorder.record({ project_id: projectId, id: tokenId, asset_slug: assetSlug }, outcome, a, at);
  }

  /** verify-token; `credential` names the caller's credential (API token, OAuth grant), for its guess limit. */
  verify(project: Project, input: { token: string; visitor_id?: string | undefined; ip?: string | undefined }, credential = 'local'): Promise<VerifiedToken> {
    return verifyToken(this.consumer, this.verifyLimiter, this.urls, project, input, credential, async (g) => (g.token.bundle > 0 ? (await this.reports.bundleFiles([g.token.id])).get(g.token.id) : undefined));
  }

  /** file-downloads_update_token: the token as list_downloads shows it, and what changed. */
  async update(project: Project, input: UpdateTokenInput): Promise<DownloadListItem & { changes: TokenChange }> {
    const { token, changes } = await updateToken(this.db, this.queries, this.clock.now(), project, input);
    return { ...(await this.reports.item(token)), changes };
  }

  /** file-downloads_list_attempts (download-attempts.ts). */
  attempts(project: Project, filter: AttemptFilter): Promise<{ attempts: DownloadAttempt[]; total: number }> {
    return listAttempts(this.db, project.id, filter);
  }

  revoke(project: Project, input: { token?: string | undefined; token_id?: string | undefined }): Promise<RevokedToken> {
    return revokeToken(this.db, this.queries, this.clock.now().toISOString(), project, input);
  }

  list(project: Project, input: Parameters<DownloadReports['list']>[1]): ReturnType<DownloadReports['list']> {
    return this.reports.list(project, input);
  }

  /** Statistics; `everyDay` (the default here, for charts) lists days without activity too. */
  stats(project: Project, days?: number, everyDay = true): ReturnType<DownloadReports['stats']> {
    return this.reports.stats(project, days, everyDay);
  }

  /** Client fingerprint for Range grants: a hash, so no raw address is stored with the token. */
  static fingerprint(ip: string | null | undefined, userAgent: string | null | undefined): string {
    return grantFingerprint(ip, userAgent);
  }
}
