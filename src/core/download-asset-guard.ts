import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { tokenBucket, type DownloadQueries } from './download-queries.js';
import { SitepubError } from './errors.js';

/**
 * What deleting a file does to the download links that sell it (issue: nothing lost). Without
 * `force`, a file that active links point at (alone or inside a bundle) is not deleted: the caller
 * learns how many links and what to do instead. With `force`, those links are revoked in the same
 * transaction as the delete, so no buyer holds a link that consumes nothing and serves nothing
 * without being told it was revoked. Runs inside AssetService.delete's transaction.
 */
export async function guardAssetDelete(tx: Transaction<Database>, queries: DownloadQueries, projectId: string, slug: string, force: boolean, now: string): Promise<void> {
  const active = await tx
    .selectFrom('download_tokens')
    .select(['id', 'project_id', 'created_at', 'expires_at'])
    .where('project_id', '=', projectId)
    .where((eb) =>
      eb.or([
        eb('asset_slug', '=', slug),
        eb('id', 'in', eb.selectFrom('download_bundle_files').select('token_id').where('project_id', '=', projectId).where('asset_slug', '=', slug)),
      ]),
    )
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .where((eb) => eb.or([eb('max_uses', '=', 0), eb('use_count', '<', eb.ref('max_uses'))]))
    .execute();
  if (active.length === 0) return;
  if (!force) {
    throw new SitepubError(
      'VALIDATION_ERROR',
      `/${slug} is sold through ${active.length} active download link${active.length === 1 ? '' : 's'}; deleting it would break ${active.length === 1 ? 'it' : 'them'}. To replace the file, upload the new one at the same slug with assets_upload (the links keep working). To delete anyway and revoke those links, call assets_delete again with force: true.`,
      { field: 'force', active_links: active.length },
    );
  }
  const revoked = await tx.updateTable('download_tokens').set({ revoked_at: now }).where('id', 'in', active.map((t) => t.id)).where('revoked_at', 'is', null).returning(['project_id', 'created_at', 'expires_at']).execute();
  // Active links were not exhausted: each moves to the revoked counter only (migration 0006's counters).
  for (const t of revoked) await tx.executeQuery(queries.stateCounts({ ...tokenBucket(t), tokens: 0, revoked: 1, exhausted: 0 }));
}
