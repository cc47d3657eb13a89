import type { Db } from '../db/connect.js';
import { SiteAnalytics } from './analytics/index.js';
import { DomainService, type TxtResolver } from './domains/index.js';
import { SiteService } from './sites/index.js';
import { AssetService, type FetchPolicy } from './assets.js';
import { systemClock, type Clock } from './clock.js';
import { DEFAULT_LIMITS, type Limits, type UrlConfig } from './config.js';
import { DownloadService } from './downloads.js';
import { ChangeBus } from './events.js';
import { OAuthService, type OAuthOptions } from './oauth/service.js';
import { OwnerService } from './owners/owners.js';
import { PageService } from './pages.js';
import { ProjectService, type Project } from './projects.js';
import { DbRateLimiter, DEFAULT_RATE_LIMIT, type RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { UploadUrlService } from './upload-urls.js';

export interface CoreOptions {
  db: Db;
  urls: UrlConfig;
  clock?: Clock;
  limits?: Partial<Limits>;
  fetchPolicy?: FetchPolicy;
  rateLimit?: RateLimitOptions;
  /** The authorization server's options; by default it fetches client documents with fetchPolicy's allow-list and lookup. */
  oauth?: OAuthOptions;
  /** Where custom domains' TXT records are looked up (DNS by default; tests inject theirs). */
  dnsTxt?: TxtResolver;
}

export interface ProjectStatus {
  project_id: string;
  name: string;
  domain: string;
  url: string;
  pages_count: number;
  assets_count: number;
  /** `no_home_page`: pages exist but no index.html, so the site's address answers 404. */
  status: 'published' | 'empty' | 'no_home_page';
}

/** The domain core: every service, wired once. Knows nothing of MCP or HTTP. */
export class Core {
  readonly db: Db;
  readonly clock: Clock;
  readonly urls: UrlConfig;
  readonly limits: Limits;
  readonly bus = new ChangeBus();
  readonly projects: ProjectService;
  readonly pages: PageService;
  readonly assets: AssetService;
  /** One-time URLs that take a large file's raw bytes by PUT (src/core/upload-urls.ts). */
  readonly uploads: UploadUrlService;
  readonly downloads: DownloadService;
  readonly limiter: RateLimiter;
  /** Owner accounts, sign-in and sessions (docs/owners.md). */
  readonly owners: OwnerService;
  /** The OAuth 2.1 authorization server for remote MCP clients (docs/oauth.md). */
  readonly oauth: OAuthService;
  /** Page views of the sites, counted without cookies (src/core/analytics). */
  readonly analytics: SiteAnalytics;
  /** Custom domains of the sites (src/core/domains). */
  readonly domains: DomainService;
  /** Site checks, version diffs and draft previews (src/core/sites). */
  readonly sites: SiteService;

  constructor(o: CoreOptions) {
    this.db = o.db;
    this.clock = o.clock ?? systemClock;
    this.urls = o.urls;
    this.limits = { ...DEFAULT_LIMITS, ...o.limits };
    const k = o.db.kysely;
    // Other processes on the same SQLite file learn of each committed change before it is answered.
    const signal = o.db.changes;
    if (signal) this.bus.on(() => signal.bump());
    this.projects = new ProjectService(k, this.clock, this.urls, o.db);
    this.pages = new PageService(k, this.clock, this.urls, this.limits, this.bus, o.db);
    this.assets = new AssetService(k, this.clock, this.urls, this.limits, this.bus, o.db, o.fetchPolicy);
    this.uploads = new UploadUrlService(k, this.clock, this.urls, this.projects, this.assets);
    this.limiter = new DbRateLimiter(k, this.clock, o.rateLimit);
    this.downloads = new DownloadService(k, this.clock, this.urls, this.assets, o.db, { allowAddresses: o.fetchPolicy?.allowAddresses, lookup: o.fetchPolicy?.lookup });
    this.owners = new OwnerService(k, this.clock, this.urls, this.projects, this.limiter, { windowSec: (o.rateLimit ?? DEFAULT_RATE_LIMIT).windowSec });
    this.analytics = new SiteAnalytics(k, this.clock);
    this.domains = new DomainService(k, this.clock, this.urls, this.projects, o.dnsTxt);
    this.sites = new SiteService(k, this.clock, this.pages);
    this.oauth = new OAuthService(k, this.clock, this.urls, this.limiter, o.oauth ?? { fetch: { allowAddresses: o.fetchPolicy?.allowAddresses, lookup: o.fetchPolicy?.lookup } });
  }

  async status(project: Project): Promise<ProjectStatus> {
    const k = this.db.kysely;
    const [pages, assets, home] = await Promise.all([
      k.selectFrom('projects').select('page_count as n').where('id', '=', project.id).executeTakeFirstOrThrow(),
      k.selectFrom('assets').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', project.id).executeTakeFirstOrThrow(),
      k.selectFrom('pages').select('id').where('project_id', '=', project.id).where('slug', '=', 'index.html').executeTakeFirst(),
    ]);
    const pagesCount = Number(pages.n);
    return {
      project_id: project.id,
      name: project.name,
      domain: project.domain,
      url: project.url,
      pages_count: pagesCount,
      assets_count: Number(assets.n),
      status: pagesCount === 0 ? 'empty' : home ? 'published' : 'no_home_page',
    };
  }

  async close(): Promise<void> {
    this.domains.close();
    await this.sites.close();
    await this.analytics.close();
    await this.db.close();
  }
}
