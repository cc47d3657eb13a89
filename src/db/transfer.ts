import { createReadStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { sql, type Kysely } from 'kysely';
import { rebuildTokenCounters } from './migrations/0006-token-state-counters.js';
import { rebuildRefusalCounts } from './migrations/0020-refusal-counts.js';
import { rebuildPageCounts } from './migrations/0007-page-counts.js';
import { rebuildSitePaths } from './migrations/0008-site-paths.js';
import { rebuildStorageCounts } from './migrations/0010-storage-quota.js';
import type { Db } from './connect.js';
import { DEFAULT_CHUNK_BYTES, type Database } from './schema.js';

/**
 * Tables in dependency order, with the columns that identify a row (for stable paging), and for
 * tables of large rows a smaller batch (a chunk row is up to 1 MiB: 8 of them at a time).
 */
const TABLES: ReadonlyArray<{ name: keyof Database; key: string[]; batch?: number }> = [
  { name: 'projects', key: ['id'] },
  { name: 'api_tokens', key: ['id'] },
  { name: 'pages', key: ['id'] },
  { name: 'page_versions', key: ['page_id', 'version'] },
  { name: 'blobs', key: ['sha256'] },
  // Only the chunks of stored files: an upload still streaming in is not part of the data.
  { name: 'blob_chunks', key: ['storage_key', 'seq'], batch: 8 },
  { name: 'assets', key: ['id'] },
  { name: 'download_tokens', key: ['id'] },
  { name: 'download_bundle_files', key: ['token_id', 'position'] },
  { name: 'download_events', key: ['id'] },
  { name: 'download_daily', key: ['project_id', 'day', 'asset_slug'] },
  // A project's webhook (its URL, events and signing secret) moves; the outbox, a delivery
  // history with retries bound to this server's timers, does not.
  { name: 'webhooks', key: ['project_id'] },
  // Owner accounts move with the data (password hashes stay hashes); sessions and sign-in links
  // do not: after a move, owners sign in again.
  { name: 'owners', key: ['id'] },
  // Page-view counts and custom domains move with their sites (a verified domain stays verified).
  { name: 'site_views_daily', key: ['project_id', 'day', 'path'] },
  { name: 'site_referrers_daily', key: ['project_id', 'day', 'host'] },
  { name: 'site_domains', key: ['domain'] },
];

const BATCH = 500;
/** Rows inserted at a time on import (chunk rows: the table's own batch). */
const IMPORT_BATCH = 100;
const FORMAT = 'sitepub-export/1';

function encode(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof Uint8Array ? { $base64: Buffer.from(v).toString('base64') } : v;
  return out;
}

function decode(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = v && typeof v === 'object' && '$base64' in v ? Buffer.from(String((v as { $base64: string }).$base64), 'base64') : v;
  }
  return out;
}

/**
 * Writes every table as JSON lines (file chunks base64): a portable copy to move a data folder from
 * SQLite to PostgreSQL or back. Secrets stay hashed; nothing is decrypted or re-issued.
 */
export async function exportData(db: Db, out: WriteStream | NodeJS.WritableStream): Promise<Record<string, number>> {
  const write = (line: unknown): Promise<void> =>
    new Promise((resolve, reject) => {
      out.write(`${JSON.stringify(line)}\n`, (e) => (e ? reject(e) : resolve()));
    });
  await write({ format: FORMAT, source: db.dialect });
  const counts: Record<string, number> = {};
  for (const t of TABLES) {
    counts[t.name] = 0;
    const batch = t.batch ?? BATCH;
    for (let offset = 0; ; offset += batch) {
      const base = t.name === 'blob_chunks' ? db.kysely.selectFrom('blob_chunks').where('storage_key', 'in', db.kysely.selectFrom('blobs').select('storage_key')) : db.kysely.selectFrom(t.name);
      let q = base.selectAll() as unknown as { orderBy(c: string): typeof q; limit(n: number): typeof q; offset(n: number): typeof q; execute(): Promise<Record<string, unknown>[]> };
      for (const k of t.key) q = q.orderBy(k);
      const rows = await q.limit(batch).offset(offset).execute();
      for (const r of rows) await write({ table: t.name, row: encode(r) });
      counts[t.name] = (counts[t.name] ?? 0) + rows.length;
      if (rows.length < batch) break;
    }
  }
  return counts;
}

/** A blob row of an export made before chunks (migration 0018): its bytes written as chunk rows, the row made a current one. */
async function chunkLegacyBlob(tx: Kysely<Database>, row: Record<string, unknown>): Promise<void> {
  const data = row.data as Buffer;
  const sha = String(row.sha256);
  const count = Math.ceil(data.byteLength / DEFAULT_CHUNK_BYTES);
  for (let seq = 0; seq < count; seq++) {
    await tx.insertInto('blob_chunks').values({ storage_key: sha, seq, data: data.subarray(seq * DEFAULT_CHUNK_BYTES, (seq + 1) * DEFAULT_CHUNK_BYTES) }).execute();
  }
  delete row.data;
  Object.assign(row, { storage_key: sha, chunk_bytes: DEFAULT_CHUNK_BYTES, chunk_count: count });
}

/** Loads an export into an empty database, in one transaction: all of it or nothing. */
export async function importData(db: Db, file: string): Promise<Record<string, number>> {
  const existing = await db.kysely.selectFrom('projects').select('id').limit(1).execute();
  if (existing.length) throw new Error('The target database already has projects; import only into an empty database.');
  const counts: Record<string, number> = {};
  const known = new Set(TABLES.map((t) => t.name as string));
  const batchOf = new Map(TABLES.filter((t) => t.batch).map((t) => [t.name as string, t.batch!]));
  await db.kysely.transaction().execute(async (tx) => {
    // Opened only now: readline emits lines as soon as the file is read, and an async iterator
    // attached later (after a slow BEGIN) would miss them.
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let first = true;
    let batch: { table: string; rows: Record<string, unknown>[] } = { table: '', rows: [] };
    const flush = async (): Promise<void> => {
      if (!batch.rows.length) return;
      await tx.insertInto(batch.table as keyof Database).values(batch.rows as never).execute();
      counts[batch.table] = (counts[batch.table] ?? 0) + batch.rows.length;
      batch = { table: '', rows: [] };
    };
    for await (const line of lines) {
      if (!line.trim()) continue;
      const rec = JSON.parse(line) as { format?: string; table?: string; row?: Record<string, unknown> };
      if (first) {
        if (rec.format !== FORMAT) throw new Error(`Not a sitepub export (expected format ${FORMAT}).`);
        first = false;
        continue;
      }
      if (!rec.table || !known.has(rec.table) || !rec.row) throw new Error(`Unexpected line in export: ${line.slice(0, 80)}`);
      if (batch.table !== rec.table || batch.rows.length >= (batchOf.get(rec.table) ?? IMPORT_BATCH)) {
        await flush();
        batch.table = rec.table;
      }
      const row = decode(rec.row);
      // Exports from before migration 0014 have no download_daily.uses: each download was one use.
      if (rec.table === 'download_daily' && !('uses' in row)) row.uses = row.downloads;
      // Exports from before migration 0018 carry each file whole in blobs.data: cut into chunks here.
      if (rec.table === 'blobs' && 'data' in row) await chunkLegacyBlob(tx, row);
      batch.rows.push(row);
    }
    await flush();
    // Derived from the tokens and the attempt log, so rebuilt rather than carried (exports of any version agree).
    await rebuildTokenCounters(tx as unknown as Kysely<unknown>);
    await rebuildRefusalCounts(tx as unknown as Kysely<unknown>);
    await rebuildPageCounts(tx as unknown as Kysely<unknown>);
    await rebuildSitePaths(tx as unknown as Kysely<unknown>);
    await rebuildStorageCounts(tx as unknown as Kysely<unknown>);
    if (db.dialect === 'postgres') {
      await sql`select setval(pg_get_serial_sequence('download_events', 'id'), coalesce((select max(id) from download_events), 0) + 1, false)`.execute(tx);
    }
  });
  return counts;
}
