import ipaddr from 'ipaddr.js';
import type { Kysely } from 'kysely';
import { NOT_REFUSED, refusedCondition } from '../db/migrations/0014-seller-downloads.js';
import type { Database } from '../db/schema.js';
import { invalid } from './errors.js';

/** One recorded attempt on a download link, as owners see it: the address cut to its network. */
export interface DownloadAttempt {
  at: string;
  token_id: string | null;
  /** The file the link is for; null when no token matched. */
  asset_url: string | null;
  /** 'ok' (a download), 'range' (a continuation), 'head', 'preview', 'updated' (file-downloads_update_token), or the refusal's error type (TOKEN_EXPIRED, ...). */
  outcome: string;
  /** The client address cut to its /24 (IPv4) or /48 (IPv6), e.g. "203.0.113.0/24": enough to tell buyers apart, not to find one. */
  ip: string | null;
  visitor_id: string | null;
  user_agent: string | null;
}

export interface AttemptFilter {
  token_id?: string | undefined;
  /** One outcome, or 'refused' for every refusal (anything but ok, range, head and preview). */
  outcome?: string | undefined;
  visitor_id?: string | undefined;
  /** ISO time: attempts at or after it. */
  since?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

/** Outcomes that are not refusals: a download, its Range continuation, looks that consume nothing, and changes by update-token. */
export const NON_REFUSALS: readonly string[] = NOT_REFUSED;
/** The filter value meaning "every refusal". */
export const REFUSED = 'refused';

const MAX_LIMIT = 500;

/** An address cut to its /24 (IPv4, IPv4-mapped IPv6 included) or /48 (IPv6); anything unparsable is dropped. */
export function truncateAddress(ip: string | null): string | null {
  if (!ip) return null;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(ip.replace(/%.*$/, ''));
  } catch {
    return null;
  }
  if (addr.kind() === 'ipv4') {
    const o = (addr as ipaddr.IPv4).octets;
    return `${o[0]}.${o[1]}.${o[2]}.0/24`;
  }
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 3);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0, 0]).toString()}/48`;
}

/**
 * Recent attempts on a project's download links, newest first: downloads and every refusal, so a
 * seller sees a buyer's failed tries (the dashboard; later file-downloads_list_attempts). Reads
 * the (project_id, at) index.
 */
export async function listAttempts(db: Kysely<Database>, projectId: string, f: AttemptFilter = {}): Promise<{ attempts: DownloadAttempt[]; total: number }> {
  const limit = f.limit ?? 50;
  const offset = f.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw invalid(`limit must be a whole number from 1 to ${MAX_LIMIT}`, { field: 'limit' });
  if (!Number.isInteger(offset) || offset < 0) throw invalid('offset must be a whole number of at least 0', { field: 'offset' });
  if (f.since !== undefined && Number.isNaN(Date.parse(f.since))) throw invalid('since must be an ISO 8601 time', { field: 'since' });
  let base = db.selectFrom('download_events').where('project_id', '=', projectId);
  if (f.token_id) base = base.where('token_id', '=', f.token_id);
  if (f.visitor_id) base = base.where('visitor_id', '=', f.visitor_id);
  if (f.since) base = base.where('at', '>=', new Date(f.since).toISOString());
  // The same condition as the partial index of refusals (migration 0014), so the index serves it.
  if (f.outcome === REFUSED) base = base.where(refusedCondition());
  else if (f.outcome) base = base.where('outcome', '=', f.outcome);
  const [rows, total] = await Promise.all([
    base.select(['at', 'token_id', 'asset_slug', 'outcome', 'ip', 'visitor_id', 'user_agent']).orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    attempts: rows.map((r) => ({
      at: r.at,
      token_id: r.token_id,
      asset_url: r.asset_slug ? `/${r.asset_slug}` : null,
      outcome: r.outcome,
      ip: truncateAddress(r.ip),
      visitor_id: r.visitor_id,
      user_agent: r.user_agent,
    })),
    total: Number(total.n),
  };
}
