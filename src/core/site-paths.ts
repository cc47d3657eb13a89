import type { Kysely, Transaction } from 'kysely';
import { unlessTaken } from '../db/constraints.js';
import type { Database } from '../db/schema.js';
import { SitepubError } from './errors.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Claims a site path for a page or an asset, inside the caller's transaction. The primary key of
 * `site_paths` decides races between instances (a page and an asset, or two pages, created at one
 * path at once); the callers' earlier checks only give the friendlier message in the usual case.
 */
export async function takePath(db: Db, projectId: string, path: string, kind: 'page' | 'asset'): Promise<void> {
  await unlessTaken(
    db.insertInto('site_paths').values({ project_id: projectId, path, kind }).execute(),
    () =>
      new SitepubError(
        'ALREADY_EXISTS',
        `The path "${path}" was just taken by another write (a page or an asset; they share the site's URL space). ` +
          `Call ${kind === 'page' ? 'pages_get' : 'assets_list'} to see what is there, then update it or choose another slug.`,
        { slug: path },
      ),
  );
}

/** Frees a path when its page or asset is deleted (only the claim of that kind). */
export async function releasePath(db: Db, projectId: string, path: string, kind: 'page' | 'asset'): Promise<void> {
  await db.deleteFrom('site_paths').where('project_id', '=', projectId).where('path', '=', path).where('kind', '=', kind).execute();
}
