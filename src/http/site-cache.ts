import { LRUCache } from 'lru-cache';
import type { Core } from '../core/core.js';
import { generationSourceFor, SignalGenerations, type GenerationSource } from './site-generations.js';

/** One representation of an entry (identity, brotli or gzip), with its headers built once. */
export interface Variant {
  body: Uint8Array;
  etag: string;
  /** Headers when the URL does not name this content: revalidate each time (no-cache + ETag). */
  headers?: Record<string, string>;
  /** Headers when it does (`?v=<hash>` or a hashed file name): cached for a year, immutable. */
  immutableHeaders?: Record<string, string>;
}

/** What one path of a site serves, built once and answered from memory while the site is unchanged. */
export interface Entry {
  status: 200 | 404;
  body: Uint8Array;
  contentType: string;
  etag: string;
  svg: boolean;
  /** The `?v=` value that names this content (an asset's first 12 hex digits of SHA-256), '' for none. */
  version?: string;
  /** The path itself names this content (a hashed file name such as app.3f2a9c1b.css). */
  immutable?: boolean;
  /** Served with X-Robots-Tag: noindex. */
  noindex?: boolean;
  /** The page slug a view of this entry counts for (site statistics); absent for assets and generated files. */
  page?: string;
  /** Worth compressing (site-encoding.ts): the compressed variants are made on first demand. */
  compressible?: boolean;
  identity?: Variant;
  /** Undefined: not made yet; a promise: being made; null: not worth it (identity is sent). */
  br?: Variant | Promise<Variant | null> | null;
  gzip?: Variant | Promise<Variant | null> | null;
  /** The stamp of the site state the entry was filled under. */
  stamp?: number;
  /** Its key in the cache, to count the compressed variants' bytes once they exist. */
  key?: string;
}

const variantBytes = (v: Entry['br']): number => (v && !(v instanceof Promise) ? v.body.byteLength : 0);

/** What one cached entry costs beyond its body: the key, the entry object and its header record. */
const ENTRY_OVERHEAD_BYTES = 1024;

interface SiteState {
  gen: number;
  /** Unique per filled state: entries carrying another stamp are stale (and evicted as the LRU needs room). */
  stamp: number;
}

/**
 * What each site serves, by project and decoded path. An entry filled at a site's generation g is
 * served only while the site is at g (see site-generations.ts for where generations come from), so
 * invalidation is exact and per site: a write to one site leaves every other site's entries alone.
 *
 * Memory is bounded by true size (body, key and a fixed overhead per entry) in one LRU, so a flood
 * of requests evicts the least used entries instead of growing the process or flushing every site.
 * Keys are decoded paths (every spelling of a path shares one entry); a path that serves nothing
 * never gets an entry of its own: each site has one shared "not found" entry (site-resolve.ts).
 */
export class SiteCache {
  private readonly sites = new Map<string, SiteState>();
  private readonly entries: LRUCache<string, Entry>;
  private readonly generations: GenerationSource;
  private readonly maxEntryBytes: number;
  private stamps = 0;
  /** Entries being made, by generation, project and key (fill). */
  private readonly filling = new Map<string, Promise<Entry | undefined>>();

  constructor(core: Core, crossInstance: boolean, maxBytes = 64 * 1024 * 1024, auditMs = 3000) {
    this.generations = generationSourceFor(core, crossInstance, auditMs);
    this.maxEntryBytes = maxBytes / 8;
    this.entries = new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: (e, key) => e.body.byteLength + variantBytes(e.br) + variantBytes(e.gzip) + key.length * 2 + ENTRY_OVERHEAD_BYTES });
  }

  /** Bytes held, as the LRU counts them (bodies, keys and per-entry overhead). */
  get size(): number {
    return this.entries.calculatedSize;
  }

  /** How many entries are held. */
  get count(): number {
    return this.entries.size;
  }

  generation(projectId: string): number | Promise<number> {
    return this.generations.current(projectId);
  }

  /** Re-reads the generations of the sites known here, where a source has unsignalled writers to catch (what a timer does every few seconds). */
  auditGenerations(): void {
    if (this.generations instanceof SignalGenerations) this.generations.auditNow();
  }

  close(): void {
    this.generations.close();
  }

  get(projectId: string, gen: number, key: string): Entry | undefined {
    const s = this.sites.get(projectId);
    if (!s || s.gen !== gen) return undefined;
    const e = this.entries.get(`${projectId}/${key}`);
    return e && e.stamp === s.stamp ? e : undefined;
  }

  /** `gen` is the site's generation read before the entry's content was. */
  set(projectId: string, gen: number, key: string, e: Entry): void {
    if (e.body.byteLength > this.maxEntryBytes) return;
    let s = this.sites.get(projectId);
    if (s && s.gen > gen) return;
    if (!s || s.gen < gen) this.sites.set(projectId, (s = { gen, stamp: ++this.stamps }));
    e.stamp = s.stamp;
    e.key = `${projectId}/${key}`;
    this.entries.set(e.key, e);
  }

  /**
   * The entry of a path that is not cached: made once however many requests miss it at the same
   * time (the first one's `make`; the others wait for it), then cached. Nothing is held once made.
   */
  fill(projectId: string, gen: number, key: string, make: () => Promise<Entry | undefined>): Promise<Entry | undefined> {
    const k = `${gen}/${projectId}/${key}`;
    let p = this.filling.get(k);
    if (!p) {
      p = make()
        .then((e) => {
          if (e) this.set(projectId, gen, key, e);
          return e;
        })
        .finally(() => this.filling.delete(k));
      this.filling.set(k, p);
    }
    return p;
  }

  /** Counts an entry's bytes again after a compressed variant was added (when it is still the entry held). */
  resized(e: Entry): void {
    if (e.key && this.entries.peek(e.key) === e) this.entries.set(e.key, e);
  }

  clear(): void {
    this.sites.clear();
    this.entries.clear();
  }
}
