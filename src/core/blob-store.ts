import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Kysely, Transaction } from 'kysely';
import { DEFAULT_CHUNK_BYTES, type BlobTable, type Database } from '../db/schema.js';
import { tryInSavepoint } from '../db/constraints.js';
import type { Clock } from './clock.js';
import { SitepubError } from './errors.js';
import { newId } from './ids.js';

type Db = Kysely<Database> | Transaction<Database>;

export { DEFAULT_CHUNK_BYTES };

/** Where a blob's bytes are. */
export type BlobLocation = Pick<BlobTable, 'sha256' | 'size_bytes' | 'storage_key' | 'chunk_bytes' | 'chunk_count'>;

/** Checks bytes as they stream in (type and size); `end` answers the Content-Type to store. Either throws a SitepubError to refuse. */
export interface StreamCheck {
  push(bytes: Buffer): void | Promise<void>;
  end(): Promise<string>;
}

/** An upload's bytes, written as chunks under their own key, not yet a blob (commit makes them one). */
export interface StagedBlob {
  storageKey: string;
  sha256: string;
  size: number;
  chunkBytes: number;
  chunkCount: number;
  contentType: string;
}

/**
 * Content-addressed file storage in chunk rows (migration 0018), on SQLite and PostgreSQL alike.
 * Nothing here holds a whole large file: uploads are written chunk by chunk as they stream in
 * (stage, then commit), and reads stream the chunks a byte range covers, one at a time.
 *
 * A blob row points at its chunks by `storage_key`, so finishing an upload never rewrites a chunk:
 * the staged chunks become the blob's by one small upsert, or are dropped when the same content is
 * stored already (deduplicated by SHA-256, across projects).
 */
export class BlobStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    /** The chunk size of new blobs; tests make it small to cross chunk boundaries with small files. */
    readonly chunkBytes: number = DEFAULT_CHUNK_BYTES,
  ) {}

  /** Where a blob's bytes are, or undefined when no such blob exists. */
  async locate(sha256: string, db: Db = this.db): Promise<BlobLocation | undefined> {
    return db.selectFrom('blobs').select(['sha256', 'size_bytes', 'storage_key', 'chunk_bytes', 'chunk_count']).where('sha256', '=', sha256).executeTakeFirst();
  }

  /**
   * Makes the blob row of `sha256` point at `storageKey`'s chunks, or finds the row that exists:
   * answers the storage key the blob uses. On PostgreSQL the upsert also locks the row, so a
   * delete in another project collecting the same blob waits for this write (then keeps the blob)
   * instead of removing it under the asset about to point at it.
   */
  private async upsert(tx: Db, b: Omit<BlobTable, 'created_at'>, now: string): Promise<string> {
    const row = await tx
      .insertInto('blobs')
      .values({ ...b, created_at: now })
      .onConflict((oc) => oc.column('sha256').doUpdateSet((eb) => ({ size_bytes: eb.ref('excluded.size_bytes') })))
      .returning('storage_key')
      .executeTakeFirstOrThrow();
    return row.storage_key;
  }

  /** Stores bytes held in memory (a small upload), in the caller's transaction; nothing is written when the content exists. */
  async put(tx: Db, sha256: string, bytes: Uint8Array, now: string): Promise<void> {
    const key = newId('blb');
    const chunkCount = Math.ceil(bytes.byteLength / this.chunkBytes);
    const used = await this.upsert(tx, { sha256, size_bytes: bytes.byteLength, storage_key: key, chunk_bytes: this.chunkBytes, chunk_count: chunkCount }, now);
    if (used !== key) return;
    for (let seq = 0; seq < chunkCount; seq++) {
      await tx.insertInto('blob_chunks').values({ storage_key: key, seq, data: bytes.subarray(seq * this.chunkBytes, (seq + 1) * this.chunkBytes) }).execute();
    }
  }

  /**
   * Writes a stream as chunks while it arrives, hashing it on the way. Every piece passes `check`
   * before anything of it is written, so a refusal (wrong type, too many bytes) stops the upload
   * there. On any failure the chunks written so far are deleted and the error is rethrown: nothing
   * stays. A process that dies mid-upload leaves a `blob_staging` row that sweepStaging collects.
   */
  async stage(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, check: StreamCheck): Promise<StagedBlob> {
    const key = newId('blb');
    await this.db.insertInto('blob_staging').values({ storage_key: key, created_at: this.clock.now().toISOString() }).execute();
    const hash = createHash('sha256');
    const chunk = Buffer.allocUnsafe(this.chunkBytes);
    let fill = 0;
    let seq = 0;
    let size = 0;
    try {
      for await (const piece of source) {
        const bytes = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
        if (bytes.length === 0) continue;
        await check.push(bytes);
        hash.update(bytes);
        size += bytes.length;
        for (let at = 0; at < bytes.length; ) {
          const n = Math.min(bytes.length - at, this.chunkBytes - fill);
          bytes.copy(chunk, fill, at, at + n);
          fill += n;
          at += n;
          if (fill === this.chunkBytes) {
            await this.db.insertInto('blob_chunks').values({ storage_key: key, seq: seq++, data: chunk }).execute();
            fill = 0;
          }
        }
      }
      const contentType = await check.end();
      if (fill > 0) await this.db.insertInto('blob_chunks').values({ storage_key: key, seq: seq++, data: chunk.subarray(0, fill) }).execute();
      return { storageKey: key, sha256: hash.digest('hex'), size, chunkBytes: this.chunkBytes, chunkCount: seq, contentType };
    } catch (e) {
      await this.discard(key).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Makes staged chunks a blob, in the caller's transaction (the one that writes the asset row):
   * they become the blob's bytes, or are dropped when that content is stored already.
   */
  async commit(tx: Db, s: StagedBlob, now: string): Promise<void> {
    const claimed = await tx.deleteFrom('blob_staging').where('storage_key', '=', s.storageKey).executeTakeFirst();
    if (Number(claimed.numDeletedRows) !== 1) {
      throw new SitepubError('INTERNAL', 'The upload took so long that its bytes were cleaned up before it finished. Nothing was stored; upload the file again.');
    }
    const used = await this.upsert(tx, { sha256: s.sha256, size_bytes: s.size, storage_key: s.storageKey, chunk_bytes: s.chunkBytes, chunk_count: s.chunkCount }, now);
    if (used !== s.storageKey) await tx.deleteFrom('blob_chunks').where('storage_key', '=', s.storageKey).execute();
  }

  /**
   * Deletes staged chunks that will not be committed (a refused or failed upload). Without its
   * staging row the key was either committed (a blob points at it: its chunks stay) or swept while
   * the upload still streamed (chunks written after the sweep belong to nobody: they go too). The
   * key is this upload's alone, so no other writer adds to it meanwhile.
   */
  async discard(storageKey: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const gone = await tx.deleteFrom('blob_staging').where('storage_key', '=', storageKey).executeTakeFirst();
      const owned = Number(gone.numDeletedRows) === 1 || !(await tx.selectFrom('blobs').select('sha256').where('storage_key', '=', storageKey).executeTakeFirst());
      if (owned) await tx.deleteFrom('blob_chunks').where('storage_key', '=', storageKey).execute();
    });
  }

  /** Uploads left by a process that died mid-stream, started before `before` (ISO): their chunks are deleted. */
  async sweepStaging(before: string): Promise<number> {
    const stale = await this.db.selectFrom('blob_staging').select('storage_key').where('created_at', '<', before).execute();
    for (const s of stale) await this.discard(s.storage_key);
    return stale.length;
  }

  /**
   * Deletes a blob and its chunks, in the caller's transaction, unless a row refers to it (an
   * asset or a hold, by foreign key: then only this step is undone and the blob stays).
   */
  async delete(tx: Transaction<Database> | Kysely<Database>, sha256: string): Promise<void> {
    await tryInSavepoint(tx, 'foreign_key', async () => {
      const gone = await tx.deleteFrom('blobs').where('sha256', '=', sha256).returning('storage_key').executeTakeFirst();
      if (gone) await tx.deleteFrom('blob_chunks').where('storage_key', '=', gone.storage_key).execute();
    });
  }

  /** A whole blob in memory: for files the caller knows to be small (it checks the size first). */
  async bytes(sha256: string): Promise<Buffer | undefined> {
    const rows = await this.db
      .selectFrom('blobs as b')
      .innerJoin('blob_chunks as c', 'c.storage_key', 'b.storage_key')
      .select(['c.data', 'b.size_bytes'])
      .where('b.sha256', '=', sha256)
      .orderBy('c.seq')
      .execute();
    if (rows.length === 0) {
      // An empty blob has no chunks.
      const b = await this.locate(sha256);
      return b && b.size_bytes === 0 ? Buffer.alloc(0) : undefined;
    }
    const parts = rows.map((r) => Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength));
    const out = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (out.byteLength !== Number(rows[0]!.size_bytes)) throw new Error(`blob ${sha256.slice(0, 12)}: ${out.byteLength} bytes in its chunks, ${rows[0]!.size_bytes} expected`);
    return out;
  }

  /**
   * Bytes `start` to `end` (inclusive) of a blob, as a stream that reads one chunk at a time, only
   * the chunks the range covers, as the consumer asks for more. A blob deleted meanwhile (its file
   * replaced) ends the stream with an error: the client sees a cut transfer.
   */
  read(sha256: string, start: number, end: number): Readable {
    let where: BlobLocation | undefined;
    let seq = -1;
    let last = -1;
    const fetchNext = async (): Promise<Buffer | null> => {
      if (!where) {
        where = await this.locate(sha256);
        if (!where) throw new Error(`blob ${sha256.slice(0, 12)} is gone`);
        seq = Math.floor(start / where.chunk_bytes);
        last = Math.min(Math.floor(end / where.chunk_bytes), where.chunk_count - 1);
      }
      if (seq > last || start > end) return null;
      const cs = where.chunk_bytes;
      const row = await this.db.selectFrom('blob_chunks').select('data').where('storage_key', '=', where.storage_key).where('seq', '=', seq).executeTakeFirst();
      if (!row) throw new Error(`blob ${sha256.slice(0, 12)}: chunk ${seq} is gone`);
      const data = Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength);
      const offset = seq * cs;
      const expected = Math.min(cs, Number(where.size_bytes) - offset);
      if (data.byteLength !== expected) throw new Error(`blob ${sha256.slice(0, 12)}: chunk ${seq} has ${data.byteLength} bytes, ${expected} expected`);
      seq++;
      return data.subarray(Math.max(0, start - offset), Math.min(data.byteLength, end - offset + 1));
    };
    return new Readable({
      // One chunk in flight and at most one buffered: memory stays at a few chunks per transfer.
      highWaterMark: 1,
      objectMode: false,
      read(this: Readable) {
        fetchNext().then(
          (b) => this.push(b),
          (e: unknown) => this.destroy(e instanceof Error ? e : new Error(String(e))),
        );
      },
    });
  }
}
