import type { CompiledQuery, Kysely, Selectable, Transaction } from 'kysely';
import type { Db as SqlDb } from '../db/connect.js';
import type { Database, PageTable } from '../db/schema.js';
import { template } from '../db/query-template.js';
import { syncRead } from '../db/sync-read.js';
import type { Clock } from './clock.js';
import { sitePathUrl, type Limits, type UrlConfig } from './config.js';
import { SitepubError, invalid, notFound } from './errors.js';
import type { ChangeBus } from './events.js';
import { tagAnswer } from './answer-tag.js';
import { bumpGeneration } from './generation.js';
import { newId } from './ids.js';
import { applyPatches, type PatchOperation } from './patch.js';
import { releasePath, takePath } from './site-paths.js';
import type { Project } from './projects.js';
import { assertDistinctSlugs, checkBulkSize, forItem } from './bulk.js';
import { normalizeSlug } from './slug.js';
import { keyframe } from './version-store.js';
import { PageHistory, malformedBaseHash, versionHash, type VersionInfo } from './page-history.js';

export { versionHash } from './page-history.js';

export type JsonObject = Record<string, unknown>;

export interface PageInput {
  slug: string;
  content: string;
  meta?: JsonObject | undefined;
  seo?: JsonObject | undefined;
}

export interface PageSummary {
  slug: string;
  title: string | null;
  version: number;
  version_hash: string;
  size_bytes: number;
  created_at: string;
  updated_at: string;
  url: string;
}

export interface PageDetail {
  slug: string;
  content: string;
  meta: JsonObject;
  seo: JsonObject;
  url: string;
  created_at: string;
  updated_at: string;
  version?: number;
  version_hash?: string;
}

export type { VersionInfo } from './page-history.js';

export interface PatchResult {
  slug: string;
  version: number;
  version_hash: string;
  patches_applied: number;
  content_preview: string;
}

export interface RollbackResult {
  slug: string;
  /** The new version, named as patch and update name theirs. */
  version: number;
  version_hash: string;
  rolled_back_to: number;
  /** Older names of version and version_hash, kept for clients written against them. */
  new_version: number;
  new_version_hash: string;
}

/** A page slug names an HTML document: it ends in .html (a folder's index is "blog/index.html"). */
export function checkPageSlug(slug: string): void {
  if (/\.html?$/i.test(slug)) return;
  const dot = slug.lastIndexOf('.');
  const ext = dot > slug.lastIndexOf('/') ? slug.slice(dot + 1).toLowerCase() : '';
  const message = ext
    ? `"${slug}" is not a page: pages are HTML documents whose slug ends in .html (e.g. "about.html", "blog/index.html"). ` +
      `Upload .${ext} files (CSS, JavaScript, images, fonts, PDFs...) with assets_upload (content_text for text files such as CSS or JS), then link them from a page, e.g. <link rel="stylesheet" href="/${slug}">.`
    : `"${slug}" is not a page slug: pages end in .html. Use "${slug}.html" (also served at /${slug}) or "${slug}/index.html" (served at /${slug}/). Files such as CSS or JS go through assets_upload.`;
  throw invalid(message, { field: 'slug', slug });
}

type Db = Kysely<Database> | Transaction<Database>;

function parseJson(text: string): JsonObject {
  return JSON.parse(text) as JsonObject;
}

export class PageService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly urls: UrlConfig,
    private readonly limits: Limits,
    private readonly bus: ChangeBus,
    private readonly sqlDb: SqlDb,
  ) {
    this.history = new PageHistory(db, clock, (content) => this.checkContent(content));
    bus.on((projectId, path) => {
      if (this.written.size >= 10_000) this.written.clear();
      this.written.add(`${projectId}|${path}`);
    });
  }

  /** Pages this process wrote since their tag was last asked for: currentTag knows it would miss. */
  private readonly written = new Set<string>();

  private readonly history: PageHistory;

  private url(project: Project, slug: string): string {
    return sitePathUrl(this.urls, project.subdomain, slug);
  }

  private summary(project: Project, row: Pick<PageTable, 'slug' | 'meta' | 'version' | 'version_hash' | 'size_bytes' | 'created_at' | 'updated_at'>): PageSummary {
    const meta = parseJson(row.meta);
    return {
      slug: row.slug,
      title: typeof meta.title === 'string' ? meta.title : null,
      version: row.version,
      version_hash: row.version_hash,
      size_bytes: row.size_bytes,
      created_at: row.created_at,
      updated_at: row.updated_at,
      url: this.url(project, row.slug),
    };
  }

  private checkContent(content: string): number {
    const size = Buffer.byteLength(content, 'utf8');
    if (size > this.limits.pageBytes) {
      throw new SitepubError('PAYLOAD_TOO_LARGE', `Page content is ${size} bytes; the limit is ${this.limits.pageBytes} bytes. Split it into several pages or move large data into assets.`);
    }
    return size;
  }

  private async findRow(db: Db, projectId: string, slug: string): Promise<Selectable<PageTable>> {
    const row = await db.selectFrom('pages').selectAll().where('project_id', '=', projectId).where('slug', '=', slug).executeTakeFirst();
    if (!row) throw notFound(`Page "${slug}"`, { slug, hint: 'Call pages_list to see the existing slugs.' });
    return row;
  }

  private async assertNoAssetAt(db: Db, projectId: string, slug: string): Promise<void> {
    const a = await db.selectFrom('assets').select('id').where('project_id', '=', projectId).where('slug', '=', slug).executeTakeFirst();
    if (a) throw new SitepubError('ALREADY_EXISTS', `An asset already uses the path "${slug}"; pages and assets share the site's URL space.`, { slug });
  }

  async list(project: Project, limit = 100, offset = 0): Promise<{ pages: PageSummary[]; total: number }> {
    const [rows, total] = await Promise.all([
      this.db
        .selectFrom('pages')
        .select(['slug', 'meta', 'version', 'version_hash', 'size_bytes', 'created_at', 'updated_at'])
        .where('project_id', '=', project.id)
        // Deferred join: the offset is walked in the (project_id, slug) index alone, and only the
        // page's own rows are read (a plain OFFSET reads every skipped row on PostgreSQL).
        .where('slug', 'in', (eb) => eb.selectFrom('pages').select('slug').where('project_id', '=', project.id).orderBy('slug').limit(limit).offset(offset))
        .orderBy('slug')
        .execute(),
      this.db.selectFrom('projects').select('page_count as n').where('id', '=', project.id).executeTakeFirstOrThrow(),
    ]);
    return { pages: rows.map((r) => this.summary(project, r)), total: Number(total.n) };
  }

  private getQuery?: ReturnType<typeof template<'project' | 'slug'>>;
  private tagQuery?: ReturnType<typeof template<'project' | 'slug'>>;

  /** The answer tag of a page's current version, as get() tags it: what changes whenever its answer could. */
  private tagOf(project: Project, row: Pick<PageTable, 'id' | 'version' | 'updated_at'>, slug: string, includeVersion: boolean): string {
    return `${row.id}|${row.version}|${row.updated_at}|${includeVersion ? 1 : 0}|${this.url(project, slug)}`;
  }

  /**
   * The tag get() would put on its answer, from the row's id, version and update time alone (not its
   * content: about a third of the read): an adapter holding the answer for this tag skips the read.
   * Undefined when there is no such page (get() then says NOT_FOUND), and when this process has
   * written the page since the last time (the agent's read after its own write): no answer has the
   * new tag yet, so the small read is skipped and get() reads the page once.
   */
  async currentTag(project: Project, rawSlug: string, includeVersion = false): Promise<string | undefined> {
    const slug = normalizeSlug(rawSlug);
    if (this.written.delete(`${project.id}|${slug}`)) return undefined;
    this.tagQuery ??= template(['project', 'slug'], (p) => this.db.selectFrom('pages').select(['id', 'version', 'updated_at']).where('project_id', '=', p.project).where('slug', '=', p.slug));
    const q = this.tagQuery({ project: project.id, slug }) as CompiledQuery<Pick<PageTable, 'id' | 'version' | 'updated_at'>>;
    const row = (syncRead(this.sqlDb, q) ?? (await this.db.executeQuery(q)).rows)[0];
    return row ? this.tagOf(project, row, slug, includeVersion) : undefined;
  }

  async get(project: Project, rawSlug: string, includeVersion = false): Promise<PageDetail> {
    const slug = normalizeSlug(rawSlug);
    // Compiled once (template): pages_get p50 over stdio ~0.04 ms faster than compiling per call
    // (bench mcp); outside a transaction it takes the prepared-statement path on SQLite.
    this.getQuery ??= template(['project', 'slug'], (p) => this.db.selectFrom('pages').selectAll().where('project_id', '=', p.project).where('slug', '=', p.slug));
    const q = this.getQuery({ project: project.id, slug }) as CompiledQuery<PageTable>;
    const row = (syncRead(this.sqlDb, q) ?? (await this.db.executeQuery(q)).rows)[0];
    if (!row) throw notFound(`Page "${slug}"`, { slug, hint: 'Call pages_list to see the existing slugs.' });
    const out: PageDetail = {
      slug,
      content: row.content,
      meta: parseJson(row.meta),
      seo: parseJson(row.seo),
      url: this.url(project, slug),
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
    if (includeVersion) {
      out.version = row.version;
      out.version_hash = row.version_hash;
    }
    return tagAnswer(out, this.tagOf(project, row, slug, includeVersion));
  }

  /** Validates a batch up front so a bulk create fails before anything is written. */
  private prepare(input: PageInput): { slug: string; content: string; meta: string; seo: string; size: number } {
    const slug = normalizeSlug(input.slug);
    checkPageSlug(slug);
    if (typeof input.content !== 'string') throw invalid('content must be a string of HTML', { field: 'content' });
    const size = this.checkContent(input.content);
    return { slug, content: input.content, meta: JSON.stringify(input.meta ?? {}), seo: JSON.stringify(input.seo ?? {}), size };
  }

  private async insertPage(db: Db, project: Project, p: ReturnType<PageService['prepare']>, now: string): Promise<PageSummary> {
    await this.assertNoAssetAt(db, project.id, p.slug);
    const exists = await db.selectFrom('pages').select('id').where('project_id', '=', project.id).where('slug', '=', p.slug).executeTakeFirst();
    if (exists) {
      throw new SitepubError('ALREADY_EXISTS', `Page "${p.slug}" already exists. Use pages_update or pages_patch to change it.`, { slug: p.slug });
    }
    await takePath(db, project.id, p.slug, 'page');
    const hash = versionHash(p.content, p.meta, p.seo);
    const enc = keyframe(p.content);
    const row = {
      id: newId('pg'),
      project_id: project.id,
      slug: p.slug,
      content: p.content,
      meta: p.meta,
      seo: p.seo,
      version: 1,
      version_hash: hash,
      size_bytes: p.size,
      created_at: now,
      updated_at: now,
      ...enc.chain,
    };
    await db.insertInto('pages').values(row).execute();
    await db
      .insertInto('page_versions')
      .values({ page_id: row.id, version: 1, hash, created_by: 'create', patch_summary: null, content: enc.content, packed: enc.packed, encoding: enc.encoding, meta: p.meta, seo: p.seo, size_bytes: p.size, created_at: now })
      .execute();
    return this.summary(project, row);
  }

  async create(project: Project, input: PageInput): Promise<PageSummary> {
    const p = this.prepare(input);
    const now = this.clock.now().toISOString();
    const out = await this.db.transaction().execute(async (tx) => {
      const r = await this.insertPage(tx, project, p, now);
      await bumpGeneration(tx, project.id, 1);
      return r;
    });
    this.bus.pageChanged(project.id, p.slug);
    return out;
  }

  async bulkCreate(project: Project, inputs: readonly PageInput[]): Promise<{ pages: PageSummary[]; created: number }> {
    checkBulkSize('pages', inputs.length, this.limits.bulkItems);
    const prepared: Array<ReturnType<PageService['prepare']>> = [];
    for (const [index, i] of inputs.entries()) prepared.push(await forItem('pages', index, () => this.prepare(i)));
    assertDistinctSlugs('pages', prepared.map((p) => p.slug));
    const now = this.clock.now().toISOString();
    const pages = await this.db.transaction().execute(async (tx) => {
      const out: PageSummary[] = [];
      for (const [index, p] of prepared.entries()) out.push(await forItem('pages', index, () => this.insertPage(tx, project, p, now), ' Nothing was created.'));
      await bumpGeneration(tx, project.id, out.length);
      return out;
    });
    for (const p of prepared) this.bus.pageChanged(project.id, p.slug);
    return { pages, created: pages.length };
  }

  async update(project: Project, input: PageInput & { base_version_hash?: string | undefined }): Promise<PageSummary> {
    const slug = normalizeSlug(input.slug);
    if (typeof input.content !== 'string') throw invalid('content must be a string of HTML', { field: 'content' });
    this.checkContent(input.content);
    // As patch: hash and encode before the write lock. Without base_version_hash an update is
    // last-writer-wins, so a write that lands in between only means reading again.
    const out = await this.withFreshRead(project, slug, input.base_version_hash === undefined, async (current) => {
      if (input.base_version_hash !== undefined && input.base_version_hash !== current.version_hash) throw malformedBaseHash(input.base_version_hash) ?? (await this.history.conflict(this.db, project.id, slug));
      const meta = input.meta !== undefined ? JSON.stringify(input.meta) : current.meta;
      const seo = input.seo !== undefined ? JSON.stringify(input.seo) : current.seo;
      const next = this.history.prepareVersion(current, { content: input.content, meta, seo, created_by: 'update', patch_summary: null });
      const w = await this.db.transaction().execute((tx) => this.history.commitVersion(tx, project, current, next));
      return this.summary(project, { ...current, meta, version: w.version, version_hash: w.hash, size_bytes: w.size, updated_at: w.updated_at });
    });
    this.bus.pageChanged(project.id, slug);
    return out;
  }

  /**
   * Reads the committed page and runs `write` with it; when `retry` is set and another write got
   * in between (VERSION_CONFLICT from the conditional UPDATE), reads again, a few times at most.
   */
  private async withFreshRead<T>(project: Project, slug: string, retry: boolean, write: (current: Selectable<PageTable>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.findRow(this.db, project.id, slug);
      try {
        return await write(current);
      } catch (e) {
        if (!retry || attempt >= 5 || !(e instanceof SitepubError) || e.type !== 'VERSION_CONFLICT') throw e;
      }
    }
  }

  async patch(project: Project, input: { slug: string; base_version_hash: string; patches: readonly PatchOperation[]; patch_summary?: string | undefined }): Promise<PatchResult> {
    const slug = normalizeSlug(input.slug);
    // Reading, patching and encoding take time on a large page, so they happen before the write
    // lock is taken (others' writes, on SQLite every other process's, would wait or fail meanwhile).
    // The read is of the committed row; if any write lands after it, the conditional UPDATE in
    // commitVersion matches nothing and this patch is a VERSION_CONFLICT, never applied to stale text.
    const current = await this.findRow(this.db, project.id, slug);
    if (input.base_version_hash !== current.version_hash) throw malformedBaseHash(input.base_version_hash) ?? (await this.history.conflict(this.db, project.id, slug));
    const content = applyPatches(current.content, input.patches);
    const next = this.history.prepareVersion(current, { content, meta: current.meta, seo: current.seo, created_by: 'patch', patch_summary: input.patch_summary ?? null });
    const w = await this.db.transaction().execute((tx) => this.history.commitVersion(tx, project, current, next));
    this.bus.pageChanged(project.id, slug);
    return { slug, version: w.version, version_hash: w.hash, patches_applied: input.patches.length, content_preview: content.slice(0, 500) };
  }

  async versions(project: Project, rawSlug: string): Promise<{ slug: string; current_version: number; versions: VersionInfo[] }> {
    const slug = normalizeSlug(rawSlug);
    const page = await this.findRow(this.db, project.id, slug);
    return { slug, current_version: page.version, versions: await this.history.list(page.id) };
  }

  async rollback(project: Project, input: { slug: string; target_version?: number | undefined; target_version_hash?: string | undefined }): Promise<RollbackResult> {
    const slug = normalizeSlug(input.slug);
    if ((input.target_version === undefined) === (input.target_version_hash === undefined)) {
      throw invalid('Pass exactly one of target_version or target_version_hash (see pages_versions).', { field: 'target_version' });
    }
    const out = await this.withFreshRead(project, slug, true, async (current) => {
      const target = await this.history.target(current.id, { version: input.target_version, hash: input.target_version_hash });
      if (!target) {
        throw notFound(`Version ${input.target_version ?? input.target_version_hash} of page "${slug}"`, { slug, hint: 'Call pages_versions to list the versions.' });
      }
      // Replaying the history and encoding the new version happen before the write lock (as patch).
      const next = this.history.prepareVersion(current, {
        content: await this.history.contentAt(current.id, target.version),
        meta: target.meta,
        seo: target.seo,
        created_by: 'rollback',
        patch_summary: `rollback to version ${target.version}`,
      });
      const w = await this.db.transaction().execute((tx) => this.history.commitVersion(tx, project, current, next));
      return { slug, version: w.version, version_hash: w.hash, rolled_back_to: target.version, new_version: w.version, new_version_hash: w.hash };
    });
    this.bus.pageChanged(project.id, slug);
    return out;
  }

  async delete(project: Project, rawSlug: string): Promise<{ slug: string; deleted: true; versions_deleted: number }> {
    const slug = normalizeSlug(rawSlug);
    const n = await this.db.transaction().execute(async (tx) => {
      const page = await this.findRow(tx, project.id, slug);
      const v = await tx.deleteFrom('page_versions').where('page_id', '=', page.id).executeTakeFirst();
      await tx.deleteFrom('pages').where('id', '=', page.id).execute();
      await releasePath(tx, project.id, slug, 'page');
      await bumpGeneration(tx, project.id, -1);
      return Number(v.numDeletedRows);
    });
    this.bus.pageChanged(project.id, slug);
    return { slug, deleted: true, versions_deleted: n };
  }

  /**
   * One version of a page, by number or hash, without publishing it: its content, meta and seo as
   * they were, with version and version_hash (`current` tells whether it is what the site serves).
   */
  async getVersion(project: Project, rawSlug: string, by: { version?: number | undefined; hash?: string | undefined }): Promise<PageDetail & { version: number; version_hash: string; current: boolean }> {
    const slug = normalizeSlug(rawSlug);
    const page = await this.findRow(this.db, project.id, slug);
    const target = await this.history.target(page.id, by);
    if (!target) throw notFound(`Version ${by.version ?? by.hash} of page "${slug}"`, { slug, hint: 'Call pages_versions to list the versions.' });
    const row = await this.db.selectFrom('page_versions').select(['hash', 'created_at']).where('page_id', '=', page.id).where('version', '=', target.version).executeTakeFirstOrThrow();
    return {
      slug,
      content: await this.history.contentOf(page, target.version),
      meta: parseJson(target.meta),
      seo: parseJson(target.seo),
      url: this.url(project, slug),
      created_at: page.created_at,
      updated_at: row.created_at,
      version: target.version,
      version_hash: row.hash,
      current: target.version === page.version,
    };
  }

  /** Reads any old version's content (history is stored as keyframes and deltas). */
  async versionContent(project: Project, rawSlug: string, version: number): Promise<string> {
    return this.history.contentOf(await this.findRow(this.db, project.id, normalizeSlug(rawSlug)), version);
  }

  /** Hot path for the site server: the current content of one page, or undefined. */
  async published(projectId: string, slug: string): Promise<{ content: string; version_hash: string; updated_at: string } | undefined> {
    return this.db
      .selectFrom('pages')
      .select(['content', 'version_hash', 'updated_at'])
      .where('project_id', '=', projectId)
      .where('slug', '=', slug)
      .executeTakeFirst();
  }
}
