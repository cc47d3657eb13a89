import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { SitepubError } from './errors.js';

type Db = Kysely<Database> | Transaction<Database>;

const MB = 1024 * 1024;
const mb = (n: number): string => `${Math.round((n / MB) * 10) / 10} MB`;

/**
 * Per-project storage quotas: the bytes of a project's assets against its own quota or the
 * server's default (`SITEPUB_STORAGE_QUOTA_MB`; 0 means unlimited). The count moves in the same
 * transaction as the asset write, by one conditional UPDATE, so concurrent uploads on any number of
 * instances can never pass the quota together.
 */
export class StorageQuota {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly defaultQuotaBytes: number,
  ) {}

  /** Bytes used and the quota in force (0: unlimited). */
  async usage(projectId: string, db: Db = this.db): Promise<{ used: number; quota: number }> {
    const row = await db.selectFrom('projects').select(['storage_bytes', 'storage_quota_bytes']).where('id', '=', projectId).executeTakeFirst();
    const own = row?.storage_quota_bytes;
    return { used: Number(row?.storage_bytes ?? 0), quota: own === null || own === undefined ? this.defaultQuotaBytes : Number(own) };
  }

  /** Fails early, before anything is fetched or stored, when `bytes` more would not fit. */
  async assertRoom(projectId: string, bytes: number): Promise<void> {
    const { used, quota } = await this.usage(projectId);
    if (quota > 0 && used + bytes > quota) throw this.exceeded(used, quota, bytes);
  }

  /** Moves the count by `delta` bytes inside the caller's transaction; refuses growth past the quota. */
  async charge(tx: Db, projectId: string, delta: number): Promise<void> {
    if (delta === 0) return;
    let q = tx.updateTable('projects').set({ storage_bytes: sql`storage_bytes + ${delta}` }).where('id', '=', projectId);
    if (delta > 0) {
      const quota = sql`coalesce(storage_quota_bytes, ${this.defaultQuotaBytes})`;
      q = q.where(sql<boolean>`(${quota} = 0 or storage_bytes + ${delta} <= ${quota})`);
    }
    const r = await q.executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) return;
    const { used, quota } = await this.usage(projectId, tx);
    throw this.exceeded(used, quota, delta);
  }

  /** Sets a project's own quota (null: back to the server's default). */
  async setQuota(projectId: string, quotaBytes: number | null): Promise<void> {
    await this.db.updateTable('projects').set({ storage_quota_bytes: quotaBytes }).where('id', '=', projectId).execute();
  }

  private exceeded(used: number, quota: number, needed: number): SitepubError {
    return new SitepubError(
      'PAYLOAD_TOO_LARGE',
      `The project's storage quota is ${mb(quota)}; it uses ${mb(used)} and this upload needs ${mb(needed)} more. ` +
        'Nothing was stored. Delete assets that are no longer needed (assets_list shows their sizes), or ask the operator to raise the quota.',
      { quota_bytes: quota, used_bytes: used, needed_bytes: needed },
    );
  }
}
