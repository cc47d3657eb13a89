import { DEFAULT_MAX_PRIVATE_BYTES } from './asset-types.js';
import { DEFAULT_CHUNK_BYTES } from './blob-store.js';
import { trimChar } from './trim.js';

/** What the core needs to know about where it is published. Built once from flags and env. */
export interface UrlConfig {
  /** Base URL of the platform (API, MCP, download links), without a trailing slash. */
  publicUrl: string;
  /** Sites live at `{subdomain}.{siteDomain}`. */
  siteDomain: string;
  /** Scheme and port used in site URLs; taken from the public URL unless set. */
  siteScheme: string;
  sitePort: string;
}

export interface Limits {
  pageBytes: number;
  bulkItems: number;
  fetchTimeoutMs: number;
  fetchMaxRedirects: number;
  /** Default per-project storage quota in bytes (a project's own quota wins); 0 means unlimited. */
  storageQuotaBytes: number;
  /** The most bytes a private asset (a file for sale) may have (SITEPUB_MAX_PRIVATE_BYTES). */
  maxPrivateBytes: number;
  /** The chunk size of newly stored files (src/core/blob-store.ts); tests make it small to cross chunk boundaries. */
  chunkBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  pageBytes: 2 * 1024 * 1024,
  bulkItems: 100,
  fetchTimeoutMs: 15_000,
  fetchMaxRedirects: 3,
  storageQuotaBytes: 1024 * 1024 * 1024,
  maxPrivateBytes: DEFAULT_MAX_PRIVATE_BYTES,
  chunkBytes: DEFAULT_CHUNK_BYTES,
};

export function makeUrlConfig(publicUrl: string, siteDomain: string): UrlConfig {
  const u = new URL(publicUrl);
  return {
    publicUrl: trimChar(publicUrl, '/', 'end'),
    siteDomain: trimChar(siteDomain.toLowerCase(), '.'),
    siteScheme: u.protocol.replace(':', ''),
    sitePort: u.port,
  };
}

export function siteUrl(urls: UrlConfig, subdomain: string): string {
  return `${urls.siteScheme}://${subdomain}.${urls.siteDomain}${urls.sitePort ? `:${urls.sitePort}` : ''}`;
}

/** Public URL of a path on a site, each segment percent-encoded. */
export function sitePathUrl(urls: UrlConfig, subdomain: string, slug: string): string {
  const isIndex = slug === 'index.html';
  const p = isIndex ? '' : slug.split('/').map(encodeURIComponent).join('/');
  return `${siteUrl(urls, subdomain)}/${p}`;
}
