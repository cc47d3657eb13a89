import type { Core } from '../core/core.js';
import { readChangedSince, readGeneration } from '../core/generation.js';

/**
 * Where the site cache learns each site's write generation. An entry filled at generation g is
 * served only while the site is still at g, so invalidation is exact and per site.
 */
export interface GenerationSource {
  /** The site's generation now: synchronously where that is possible (a cache hit then costs no promise). */
  current(projectId: string): number | Promise<number>;
  close(): void;
}

/** One process on its own database (in-memory SQLite, tests): this process's writes are all there are. */
export class LocalGenerations implements GenerationSource {
  private readonly gens = new Map<string, number>();

  constructor(core: Core) {
    core.bus.on((projectId) => this.gens.set(projectId, (this.gens.get(projectId) ?? 0) + 1));
  }

  current(projectId: string): number {
    return this.gens.get(projectId) ?? 0;
  }

  close(): void {}
}

/** Several instances on PostgreSQL: the site's generation in the database, one indexed read per request. */
export class DatabaseGenerations implements GenerationSource {
  constructor(private readonly core: Core) {}

  current(projectId: string): number | Promise<number> {
    return readGeneration(this.core.db, projectId);
  }

  close(): void {}
}

/**
 * SQLite in a data folder, shared by processes (`serve --workers N`, a `sitepub mcp` beside
 * `sitepub serve`): every process rewrites the change signal file after each committed write. The
 * signal is read once per turn of the event loop; when it moved, one query asks which sites changed
 * since the last change number seen, and only those sites' generations move. An audit every few
 * seconds re-reads the generations of the sites known here, for writers that never signalled (a
 * crash between commit and signal, an import, a hand edit).
 *
 * Exact for every request sent after a write was answered: the request's bytes arrived before this
 * turn's poll returned, so after the writer had signalled, and the signal is read after that poll.
 * (Left out: an HTTP/1.1 pipelined request queued on a connection already ready for an earlier
 * request; browsers do not pipeline.)
 */
export class SignalGenerations implements GenerationSource {
  private readonly gens = new Map<string, number>();
  private lastSignal = -1;
  private seq = 0;
  private checkedThisTurn = false;
  private readonly endTurn = (): void => {
    this.checkedThisTurn = false;
  };
  private readonly audit: ReturnType<typeof setInterval>;

  constructor(
    private readonly core: Core,
    auditMs = 3000,
  ) {
    this.audit = setInterval(() => this.auditNow(), auditMs);
    this.audit.unref();
  }

  current(projectId: string): number | Promise<number> {
    if (!this.checkedThisTurn) {
      this.checkedThisTurn = true;
      setImmediate(this.endTurn);
      const v = this.core.db.changes!.read();
      if (v !== this.lastSignal) {
        if (!this.catchUp()) return this.catchUpLater(v, projectId);
        this.lastSignal = v;
      }
    }
    const known = this.gens.get(projectId);
    if (known !== undefined) return known;
    const g = readGeneration(this.core.db, projectId);
    if (typeof g === 'number') this.gens.set(projectId, g);
    return g;
  }

  /** Applies the changes committed since the last one seen; false when they cannot be read now (a transaction is open here). */
  private catchUp(): boolean {
    const changed = readChangedSince(this.core.db, this.seq);
    if (!changed) return false;
    this.seq = changed.seq;
    for (const s of changed.sites) if (this.gens.has(s.id)) this.gens.set(s.id, s.generation);
    return true;
  }

  /** A transaction is open on this process's handle: ask through Kysely, which waits for it to end. */
  private async catchUpLater(signal: number, projectId: string): Promise<number> {
    const rows = await this.core.db.kysely.selectFrom('projects').select(['id', 'generation', 'changed_seq']).where('changed_seq', '>', this.seq).orderBy('changed_seq').execute();
    for (const r of rows) {
      this.seq = Math.max(this.seq, r.changed_seq);
      if (this.gens.has(r.id)) this.gens.set(r.id, r.generation);
    }
    this.lastSignal = signal;
    return this.gens.get(projectId) ?? (await readGeneration(this.core.db, projectId));
  }

  /** Re-reads every known site's generation (what the timer does every few seconds). */
  auditNow(): void {
    try {
      for (const id of this.gens.keys()) {
        const g = readGeneration(this.core.db, id);
        if (typeof g === 'number') this.gens.set(id, g);
      }
    } catch {
      // The database was closed under a cache nobody closed: nothing left to audit.
      this.close();
    }
  }

  close(): void {
    clearInterval(this.audit);
  }
}

export function generationSourceFor(core: Core, crossInstance: boolean, auditMs?: number): GenerationSource {
  if (core.db.changes) return new SignalGenerations(core, auditMs);
  return crossInstance ? new DatabaseGenerations(core) : new LocalGenerations(core);
}
