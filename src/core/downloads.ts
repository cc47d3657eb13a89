import type { Kysely } from 'kysely';
import type { Db } from '../db/connect.js';
import type { Database, DownloadTokenTable } from '../db/schema.js';
import type { AssetService } from './assets.js';
import type { Clock } from './clock.js';
import type { UrlConfig } from './config.js';
import { DownloadConsumer, grantFingerprint, type ConsumeOptions, type Grant } from './download-consume.js';
import { DownloadGenerator, assetSlugOf, downloadUrl, type GenerateTokenInput, type GeneratedToken } from './download-generate.js';
import { DownloadQueries } from './download-queries.js';
import { AttemptRecorder, type AttemptInfo } from './download-record.js';
import { DownloadReports } from './download-reports.js';
import { revokeToken, type RevokedToken } from './download-revoke.js';
import { verifyToken, type VerifiedToken } from './download-verify.js';
import type { Project } from './projects.js';
import type { RateLimiter } from './rate-limit.js';

export type { ConsumeOptions, Grant } from './download-consume.js';
export { sanitizeFilename, type GenerateTokenInput, type GeneratedToken } from './download-generate.js';
export type { AttemptInfo } from './download-record.js';
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

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly urls: UrlConfig,
    assets: AssetService,
    private readonly limiter: RateLimiter,
    sqlDb: Db,
  ) {
    this.queries = new DownloadQueries(db);
    this.generator = new DownloadGenerator(db, clock, urls, assets, this.queries);
    this.recorder = new AttemptRecorder(db, clock, this.queries);
    this.consumer = new DownloadConsumer(db, sqlDb, clock, this.queries, this.recorder);
    this.reports = new DownloadReports(db, clock, assetSlugOf);
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

  /** Records an attempt. Never the token: only its id. */
  record(projectId: string, tokenId: string | null, assetSlug: string | null, outcome: string, a: AttemptInfo, at?: string): Promise<void> {
    return this.recorder.record({ project_id: projectId, id: tokenId, asset_slug: assetSlug }, outcome, a, at);
  }

  verify(project: Project, input: { token: string; visitor_id?: string | undefined; ip?: string | undefined }, clientKey = 'local'): Promise<VerifiedToken> {
    return verifyToken(this.consumer, this.limiter, this.urls, project, input, clientKey);
  }

  revoke(project: Project, input: { token?: string | undefined; token_id?: string | undefined }): Promise<RevokedToken> {
    return revokeToken(this.db, this.queries, this.clock.now().toISOString(), project, input);
  }

  list(project: Project, input: Parameters<DownloadReports['list']>[1]): ReturnType<DownloadReports['list']> {
    return this.reports.list(project, input);
  }

  stats(project: Project, days?: number): ReturnType<DownloadReports['stats']> {
    return this.reports.stats(project, days);
  }

  /** Client fingerprint for Range grants: a hash, so no raw address is stored with the token. */
  static fingerprint(ip: string | null | undefined, userAgent: string | null | undefined): string {
    return grantFingerprint(ip, userAgent);
  }
}
