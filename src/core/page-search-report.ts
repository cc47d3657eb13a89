import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { sitePathUrl, type UrlConfig } from './config.js';
import { invalid } from './errors.js';
import type { PageSummary } from './pages.js';
import type { Project } from './projects.js';

const MAX_QUERY = 200;

/** `%`, `_` and the escape character itself taken literally in a LIKE pattern (escape `\`). */
const likeLiteral = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Pages of a project whose slug or meta (its title) contains `q`, case-insensitively (ASCII on
 * SQLite, Unicode on PostgreSQL), by slug; without `q`, every page. For the owner's dashboard:
 * pages_list has no search. Content is not searched: a page may be 2 MB.
 */
export async function searchPages(
  db: Kysely<Database>,
  urls: UrlConfig,
  project: Project,
  input: { q?: string | undefined; limit?: number | undefined; offset?: number | undefined },
): Promise<{ pages: PageSummary[]; total: number }> {
  const q = (input.q ?? '').trim();
  if (q.length > MAX_QUERY) throw invalid(`The search is at most ${MAX_QUERY} characters.`, { field: 'q' });
  const limit = input.limit ?? 50;
  const offset = input.offset ?? 0;
  let base = db.selectFrom('pages').where('project_id', '=', project.id);
  if (q) {
    const pattern = `%${likeLiteral(q.toLowerCase())}%`;
    base = base.where((eb) =>
      eb.or([
        eb(sql`lower(slug)`, 'like', sql`${pattern} escape '\\'`),
        eb(sql`lower(meta)`, 'like', sql`${pattern} escape '\\'`),
      ]),
    );
  }
  const [rows, total] = await Promise.all([
    base.select(['slug', 'meta', 'version', 'version_hash', 'size_bytes', 'created_at', 'updated_at']).orderBy('slug').limit(limit).offset(offset).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    pages: rows.map((r) => {
      const meta = JSON.parse(r.meta) as Record<string, unknown>;
      return {
        slug: r.slug,
        title: typeof meta.title === 'string' ? meta.title : null,
        version: r.version,
        version_hash: r.version_hash,
        size_bytes: r.size_bytes,
        created_at: r.created_at,
        updated_at: r.updated_at,
        url: sitePathUrl(urls, project.subdomain, r.slug),
      };
    }),
    total: Number(total.n),
  };
}
