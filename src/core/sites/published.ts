import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

export interface PublishedPage {
  slug: string;
  content: string;
  version_hash: string;
  updated_at: string;
  meta: Record<string, unknown>;
  seo: Record<string, unknown>;
}

function object(json: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(json);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The current version of one page with its meta and seo, as the site serves it; undefined when none. */
export async function publishedPage(db: Kysely<Database>, projectId: string, slug: string): Promise<PublishedPage | undefined> {
  const row = await db.selectFrom('pages').select(['slug', 'content', 'version_hash', 'updated_at', 'meta', 'seo']).where('project_id', '=', projectId).where('slug', '=', slug).executeTakeFirst();
  return row && { ...row, meta: object(row.meta), seo: object(row.seo) };
}

/** Every page's slug, update time and seo, and its HTML only when it mentions noindex at all: what sitemap.xml is made of. */
export async function pageIndex(db: Kysely<Database>, projectId: string): Promise<Array<{ slug: string; updated_at: string; seo: Record<string, unknown>; noindexHtml: string }>> {
  const rows = await db
    .selectFrom('pages')
    .select(['slug', 'updated_at', 'seo'])
    .select(sql<string>`case when lower(content) like '%noindex%' then content else '' end`.as('noindex_html'))
    .where('project_id', '=', projectId)
    .orderBy('slug')
    .execute();
  return rows.map((r) => ({ slug: r.slug, updated_at: r.updated_at, seo: object(r.seo), noindexHtml: r.noindex_html }));
}
