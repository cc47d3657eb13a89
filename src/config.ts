import { DEFAULT_LIMITS, makeUrlConfig, type UrlConfig } from './core/config.js';
import { compileTrust, parseTrustProxy, type TrustProxy } from './http/client-address.js';
import { trimChar } from './core/trim.js';

export interface Settings {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  publicUrl: string;
  siteDomain: string;
  defaultProject: string | undefined;
  allowedHosts: string[];
  allowedOrigins: string[];
  trustProxy: TrustProxy;
  /** Test-only: exact IP literals the source_url fetcher may reach (e.g. a loopback test server). */
  fetchAllowAddresses: string[];
  /** Default per-project storage quota (SITEPUB_STORAGE_QUOTA_MB; 0 = unlimited). */
  storageQuotaBytes: number;
  /**
   * The most bytes one private asset (a file for sale) may have (SITEPUB_MAX_PRIVATE_BYTES, default
   * 500 MB, the contract's; files are stored in chunks and streamed, so memory does not grow with
   * it). At most MAX_PRIVATE_BYTES_CEILING.
   */
  maxPrivateBytes: number;
  /** Test-only: a JSON file answering custom domains' TXT lookups instead of DNS (SITEPUB_DNS_TXT_FILE). */
  dnsTxtFile: string | undefined;
}

export interface Flags {
  port?: string | undefined;
  host?: string | undefined;
  data?: string | undefined;
  project?: string | undefined;
}

const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Flags win over environment variables, which win over defaults (docs/configuration.md). */
export function loadSettings(flags: Flags, env: NodeJS.ProcessEnv = process.env): Settings {
  const port = Number(flags.port ?? env.PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port: ${flags.port ?? env.PORT}`);
  const host = flags.host ?? env.HOST ?? '127.0.0.1';
  const urlHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    port,
    host,
    dataDir: flags.data ?? env.SITEPUB_DATA ?? './data',
    databaseUrl: env.DATABASE_URL || undefined,
    publicUrl: trimChar(env.SITEPUB_PUBLIC_URL ?? `http://${urlHost}:${port}`, '/', 'end'),
    siteDomain: env.SITEPUB_SITE_DOMAIN ?? 'localhost',
    defaultProject: flags.project ?? env.SITEPUB_PROJECT ?? undefined,
    allowedHosts: list(env.SITEPUB_ALLOWED_HOSTS),
    allowedOrigins: list(env.SITEPUB_ALLOWED_ORIGINS),
    trustProxy: trustSetting(env.SITEPUB_TRUST_PROXY),
    fetchAllowAddresses: list(env.SITEPUB_FETCH_ALLOW_ADDRESSES),
    storageQuotaBytes: quotaBytes(env.SITEPUB_STORAGE_QUOTA_MB),
    maxPrivateBytes: privateBytes(env.SITEPUB_MAX_PRIVATE_BYTES),
    dnsTxtFile: env.SITEPUB_DNS_TXT_FILE || undefined,
  };
}

function trustSetting(v: string | undefined): TrustProxy {
  const t = parseTrustProxy(v);
  try {
    compileTrust(t);
  } catch {
    throw new Error(`Invalid SITEPUB_TRUST_PROXY: ${v} (a number of proxy hops, or addresses/subnets of your proxies such as "loopback,10.0.0.0/8")`);
  }
  return t;
}

function quotaBytes(mb: string | undefined): number {
  if (mb === undefined || mb === '') return DEFAULT_LIMITS.storageQuotaBytes;
  const n = Number(mb);
  if (!Number.isFinite(n) || n < 0) throw new Error(`Invalid SITEPUB_STORAGE_QUOTA_MB: ${mb} (megabytes; 0 means unlimited)`);
  return Math.round(n * 1024 * 1024);
}

const UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 };

/** A size in bytes, or with a binary unit: "104857600", "100M", "100MB", "1.5 GiB". */
/** Sizes are 32-bit integer columns on PostgreSQL: one file stays below 2 GiB. */
export const MAX_PRIVATE_BYTES_CEILING = 2 ** 31 - 1;

function privateBytes(v: string | undefined): number {
  const n = byteSize('SITEPUB_MAX_PRIVATE_BYTES', v, DEFAULT_LIMITS.maxPrivateBytes);
  if (n > MAX_PRIVATE_BYTES_CEILING) throw new Error(`Invalid SITEPUB_MAX_PRIVATE_BYTES: ${v} (at most 2GB less one byte: one file must stay below 2 GiB)`);
  return n;
}

export function byteSize(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined || v.trim() === '') return fallback;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmg])(?:i?b)?|b)?\s*$/i.exec(v);
  const n = m ? Math.floor(Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]!) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`Invalid ${name}: ${v} (a size in bytes, or with a unit such as 100MB or 1GB)`);
  return n;
}

export function urlConfigOf(s: Settings): UrlConfig {
  return makeUrlConfig(s.publicUrl, s.siteDomain);
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

export function allowedHostsOf(s: Settings): Set<string> {
  const pub = new URL(s.publicUrl);
  const hosts = new Set([pub.hostname.toLowerCase(), ...s.allowedHosts.map((h) => h.toLowerCase())]);
  const loopbackBind = ['127.0.0.1', 'localhost', '::1', '0.0.0.0', '::'].includes(s.host);
  if (loopbackBind || LOOPBACK.includes(pub.hostname)) for (const h of LOOPBACK) hosts.add(h);
  if (!['0.0.0.0', '::'].includes(s.host)) hosts.add(s.host.includes(':') ? `[${s.host}]` : s.host);
  return hosts;
}

export function allowedOriginsOf(s: Settings, actualPort: number): Set<string> {
  const pub = new URL(s.publicUrl);
  const out = new Set([pub.origin, ...s.allowedOrigins]);
  for (const h of LOOPBACK) out.add(`http://${h}:${actualPort}`);
  return out;
}
