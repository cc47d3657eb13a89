import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, PageTable, PageVersionTable } from '../db/schema.js';
import type { Clock } from './clock.js';
import { SitepubError, notFound } from './errors.js';
import { bumpGeneration } from './generation.js';
import { sha256Hex } from './ids.js';
import type { Project } from './projects.js';
import { decodeChain, encodeVersion, type EncodedVersion } from './version-store.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface NextVersion {
  content: string;
  meta: string;
  seo: string;
  created_by: PageVersionTable['created_by'];
  patch_summary: string | null;
}

export interface PreparedVersion extends NextVersion {
  size: number;
  hash: string;
  enc: EncodedVersion;
}

/** Identifies a version's content (body, meta and SEO): equal content, equal hash. */
export function versionHash(content: string, meta: string, seo: string): string {
  return sha256Hex(`${content}\u0000${meta}\u0000${seo}`).slice(0, 12);
}

/** The shape of every version hash versionHash makes: 12 lowercase hex digits. */
const VERSION_HASH_SHAPE = /^[0-9a-f]{12}$/;

/**
 * A base_version_hash that differs from the page's current hash and cannot be any version's hash
 * (a version number, a URL, a truncated or quoted hash) is a VALIDATION_ERROR saying where the
 * hash comes from, not a VERSION_CONFLICT (nothing changed; the value was never a hash).
 * Undefined for a well-formed hash, which the caller then treats as a conflict.
 */
export function malformedBaseHash(given: string): SitepubError | undefined {
  if (VERSION_HASH_SHAPE.test(given)) return undefined;
  const shown = given.length > 40 ? `${JSON.stringify(given.slice(0, 40))}...` : JSON.stringify(given);
  return new SitepubError(
    'VALIDATION_ERROR',
    `base_version_hash ${shown} is not a version hash (12 hexadecimal characters, e.g. "3f9a0c1b2d4e"). ` +
      'Call pages_get with include_version=true and pass its version_hash (not the version number).',
    { field: 'base_version_hash' },
  );
}

/** One version's metadata, as pages_versions lists it. */
export interface VersionInfo {
  version: number;
  hash: string;
  created_by: PageVersionTable['created_by'];
  patch_summary: string | null;
  size_bytes: number;
  created_at: string;
}

/**
 * A page's history: writing a new version (prepared outside the write lock, committed under the
 * optimistic lock), listing versions, and reading any old version back from keyframes and deltas.
 */
export class PageHistory {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly checkContent: (content: string) => number,
  ) {}

  /**
   * The CPU-heavy half of a write: size check, hash, and the delta or deflated keyframe. It depends
   * only on `current`, so it may run before the write's transaction begins: the conditional UPDATE
   * in commitVersion only succeeds if the page is still exactly that version (chain included).
   */
  prepareVersion(current: Selectable<PageTable>, next: NextVersion): PreparedVersion {
    const size = this.checkContent(next.content);
    return { ...next, size, hash: versionHash(next.content, next.meta, next.seo), enc: encodeVersion(current.content, next.content, current) };
  }

  /**
   * Writes a prepared version if the page is still at `current.version`. The conditional UPDATE is
   * the optimistic lock: of several writers on one base, exactly one matches; the rest see a conflict.
   */
  async commitVersion(tx: Db, project: Project, current: Selectable<PageTable>, next: PreparedVersion): Promise<{ version: number; hash: string; size: number; updated_at: string }> {
    const { size, hash, enc } = next;
    const version = current.version + 1;
    const now = this.clock.now().toISOString();
    const res = await tx
      .updateTable('pages')
      .set({ content: next.content, meta: next.meta, seo: next.seo, version, version_hash: hash, size_bytes: size, updated_at: now, ...enc.chain })
      .where('id', '=', current.id)
      .where('version', '=', current.version)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) throw await this.conflict(tx, project.id, current.slug);
    await tx
      .insertInto('page_versions')
      .values({ page_id: current.id, version, hash, created_by: next.created_by, patch_summary: next.patch_summary, content: enc.content, packed: enc.packed, encoding: enc.encoding, meta: next.meta, seo: next.seo, size_bytes: size, created_at: now })
      .execute();
    await bumpGeneration(tx, project.id);
    return { version, hash, size, updated_at: now };
  }

  async conflict(db: Db, projectId: string, slug: string): Promise<SitepubError> {
    const row = await db.selectFrom('pages').select(['version', 'version_hash']).where('project_id', '=', projectId).where('slug', '=', slug).executeTakeFirst();
    return new SitepubError(
      'VERSION_CONFLICT',
      `Page "${slug}" has changed since you read it${row ? ` (now version ${row.version}, hash ${row.version_hash})` : ''}. ` +
        'Call pages_get with include_version=true, re-apply your change to the new content, and retry with the new hash.',
      { slug, current_version: row?.version ?? null, current_version_hash: row?.version_hash ?? null },
    );
  }

  /** Metadata of every version, newest first. */
  async list(pageId: string): Promise<VersionInfo[]> {
    return this.db
      .selectFrom('page_versions')
      .select(['version', 'hash', 'created_by', 'patch_summary', 'size_bytes', 'created_at'])
      .where('page_id', '=', pageId)
      .orderBy('version', 'desc')
      .execute();
  }

  /** A version to roll back to, by number or hash (the newest with that hash). */
  async target(pageId: string, by: { version?: number | undefined; hash?: string | undefined }): Promise<{ version: number; meta: string; seo: string } | undefined> {
    let q = this.db.selectFrom('page_versions').select(['version', 'meta', 'seo']).where('page_id', '=', pageId);
    q = by.version !== undefined ? q.where('version', '=', by.version) : q.where('hash', '=', by.hash!);
    return q.orderBy('version', 'desc').limit(1).executeTakeFirst();
  }

  /** The content of one version: its keyframe, then the deltas after it, replayed in order. */
  async contentAt(pageId: string, version: number): Promise<string> {
    const key = await this.db
      .selectFrom('page_versions')
      .select('version')
      .where('page_id', '=', pageId)
      .where('version', '<=', version)
      .where('encoding', '!=', 'delta')
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    const rows = await this.db
      .selectFrom('page_versions')
      .select(['encoding', 'content', 'packed'])
      .where('page_id', '=', pageId)
      .where('version', '>=', key.version)
      .where('version', '<=', version)
      .orderBy('version')
      .execute();
    return decodeChain(rows);
  }

  /** Any version's content: the current one from the page row, older ones replayed from history. */
  async contentOf(page: Selectable<PageTable>, version: number): Promise<string> {
    if (!Number.isInteger(version) || version < 1 || version > page.version) throw notFound(`Version ${version} of page "${page.slug}"`);
    return version === page.version ? page.content : this.contentAt(page.id, version);
  }
}
