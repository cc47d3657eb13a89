import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

/** Marks a site as changed, inside the write's own transaction, so other instances see it with the write. */
export async function bumpGeneration(tx: Kysely<Database> | Transaction<Database>, projectId: string): Promise<void> {
  await tx
    .updateTable('projects')
    .set((eb) => ({ generation: eb('generation', '+', 1) }))
    .where('id', '=', projectId)
    .execute();
}

export async function readGeneration(db: Kysely<Database>, projectId: string): Promise<number> {
  const row = await db.selectFrom('projects').select('generation').where('id', '=', projectId).executeTakeFirst();
  return row?.generation ?? -1;
}
