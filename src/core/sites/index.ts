import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { invalid } from '../errors.js';
import type { PageService } from '../pages.js';
import type { Project } from '../projects.js';
import { refSlugs, resolveChecks, siteIndex, siteLookup, type SiteIndex, type SiteWarning } from './check.js';
import { CheckPool } from './check-pool.js';
import { unifiedDiff } from './diff.js';
import { DEFAULT_PREVIEW_HOURS, MAX_PREVIEW_HOURS, PREVIEW_PREFIX, PreviewSigner } from './preview.js';

export type { SiteWarning } from './check.js';

/** A version named by its number or its hash (as pages_diff and pages_preview take them). */
export type VersionRef = number | string;

const byRef = (ref: VersionRef | undefined): { version?: number; hash?: string } =>
  ref === undefined ? {} : typeof ref === 'number' || /^\d+$/.test(ref) ? { version: Number(ref) } : { hash: ref };

/** What a site does beyond storing pages: checks, diffs of versions, draft previews (src/core/sites). */
export class SiteService {
  readonly previews: PreviewSigner;
  /** Page checks run here, off the event loop (check-pool.ts). */
  private readonly checks: CheckPool;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly pages: PageService,
  ) {
    this.previews = new PreviewSigner(db);
    this.checks = new CheckPool();
  }

  private async pageFields(projectId: string, slugs: readonly string[]): Promise<Array<{ slug: string; content: string; meta: Record<string, unknown>; seo: Record<string, unknown> }>> {
    if (slugs.length === 0) return [];
    const rows = await this.db.selectFrom('pages').select(['slug', 'content', 'meta', 'seo']).where('project_id', '=', projectId).where('slug', 'in', slugs).orderBy('slug').execute();
    const obj = (t: string): Record<string, unknown> => {
      try {
        return JSON.parse(t) as Record<string, unknown>;
      } catch {
        return {};
      }
    };
    return rows.map((r) => ({ slug: r.slug, content: r.content, meta: obj(r.meta), seo: obj(r.seo) }));
  }

  /** The pages analyzed on the check pool's thread: what depends on each page alone, and the site paths it uses. */
  private analyze(project: Project, pages: Awaited<ReturnType<SiteService['pageFields']>>) {
    return this.checks.analyze(pages.map((p) => ({ slug: p.slug, content: p.content, meta: p.meta, seo: p.seo, siteUrl: project.url })));
  }

  /**
   * Warnings for pages just written (what every page write returns). Only the site paths these
   * pages use are looked up, so a write costs the same on a site of ten pages or of a hundred thousand.
   */
  async warningsFor(project: Project, slugs: readonly string[]): Promise<SiteWarning[]> {
    const pages = await this.pageFields(project.id, slugs);
    const items = await this.analyze(project, pages);
    const site = await siteLookup(this.db, project.id, [...new Set(items.flatMap(refSlugs))]);
    return pages.flatMap((p, i) => resolveChecks(p.slug, items[i]!, site));
  }

  /** Every page of the site checked (site_check); pages in batches so a large site is never all in memory. */
  async check(project: Project): Promise<{ pages_checked: number; ok: boolean; warnings: SiteWarning[]; by_type: Record<string, number>; home_page: boolean }> {
    const site: SiteIndex = await siteIndex(this.db, project.id);
    const slugs = [...site.pages].sort();
    const warnings: SiteWarning[] = [];
    for (let i = 0; i < slugs.length; i += 50) {
      const pages = await this.pageFields(project.id, slugs.slice(i, i + 50));
      const items = await this.analyze(project, pages);
      for (const [j, p] of pages.entries()) warnings.push(...resolveChecks(p.slug, items[j]!, site));
    }
    const byType: Record<string, number> = {};
    for (const w of warnings) byType[w.type] = (byType[w.type] ?? 0) + 1;
    return { pages_checked: slugs.length, ok: warnings.length === 0, warnings: warnings.slice(0, 500), by_type: byType, home_page: site.pages.has('index.html') };
  }

  /** Stops the check pool's thread (Core.close). */
  close(): Promise<void> {
    return this.checks.close();
  }

  /** A unified diff between two versions of a page (content; meta and seo compared as JSON below it). */
  async diff(project: Project, slug: string, from: VersionRef, to: VersionRef): Promise<{ slug: string; from_version: number; to_version: number; from_version_hash: string; to_version_hash: string; diff: string; meta_changed: boolean; seo_changed: boolean; diff_truncated: boolean }> {
    const [a, b] = await Promise.all([this.pages.getVersion(project, slug, byRef(from)), this.pages.getVersion(project, slug, byRef(to))]);
    const d = unifiedDiff(`${a.slug} (version ${a.version})`, `${b.slug} (version ${b.version})`, a.content, b.content);
    return {
      slug: a.slug,
      from_version: a.version,
      to_version: b.version,
      from_version_hash: a.version_hash,
      to_version_hash: b.version_hash,
      diff: d.diff,
      diff_truncated: d.truncated,
      meta_changed: JSON.stringify(a.meta) !== JSON.stringify(b.meta),
      seo_changed: JSON.stringify(a.seo) !== JSON.stringify(b.seo),
    };
  }

  /** The version a preview link names (pages.getVersion; NOT_FOUND when the page or version is gone). */
  versionForPreview(project: Project, slug: string, version: number): ReturnType<PageService['getVersion']> {
    return this.pages.getVersion(project, slug, { version });
  }

  /** A signed link that shows one version of a page on the site's own origin, marked noindex, until it expires. */
  async preview(project: Project, slug: string, ref: VersionRef | undefined, hours = DEFAULT_PREVIEW_HOURS): Promise<{ slug: string; version: number; version_hash: string; current: boolean; preview_url: string; expires_at: string }> {
    if (!(hours > 0 && hours <= MAX_PREVIEW_HOURS)) throw invalid(`expires_in_hours must be more than 0 and at most ${MAX_PREVIEW_HOURS} (7 days).`, { field: 'expires_in_hours' });
    const v = ref === undefined ? await this.pages.get(project, slug, true) : await this.pages.getVersion(project, slug, byRef(ref));
    const exp = Math.floor(this.clock.now().getTime() / 1000 + hours * 3600);
    const q = await this.previews.sign({ projectId: project.id, slug: v.slug, version: v.version!, exp });
    const path = v.slug.split('/').map(encodeURIComponent).join('/');
    return {
      slug: v.slug,
      version: v.version!,
      version_hash: v.version_hash!,
      current: 'current' in v ? (v as { current: boolean }).current : true,
      preview_url: `${project.url.replace(/\/$/, '')}/${PREVIEW_PREFIX}${path}?${q}`,
      expires_at: new Date(exp * 1000).toISOString(),
    };
  }
}
