import type { DownloadTokenTable } from '../db/schema.js';
import type { TokenErrorType } from './download-token-errors.js';

export type TokenStatus = 'active' | 'expired' | 'exhausted' | 'revoked';

export interface DownloadListItem {
  token_id: string;
  token_prefix: string;
  asset_url: string;
  /** A bundle's files, in order (absent for a one-file link). */
  asset_urls?: string[];
  filename: string;
  status: TokenStatus;
  use_count: number;
  max_uses: number;
  remaining_uses: number | null;
  last_download_at: string | null;
  expires_at: string | null;
  visitor_id: string | null;
  metadata: Record<string, unknown>;
  /** The PDF footer template, or null. */
  stamp: string | null;
  created_at: string;
  revoked_at: string | null;
}

/** Why a token cannot be used now, in the documented precedence (docs/errors.md): revoked, expired, exhausted, wrong visitor. */
export function classifyToken(row: DownloadTokenTable, visitor: string | null, nowIso: string): TokenErrorType | null {
  if (row.revoked_at) return 'TOKEN_REVOKED';
  if (row.expires_at !== null && row.expires_at <= nowIso) return 'TOKEN_EXPIRED';
  if (row.max_uses !== 0 && row.use_count >= row.max_uses) return 'TOKEN_EXHAUSTED';
  if (row.visitor_id !== null && row.visitor_id !== visitor) return 'TOKEN_WRONG_VISITOR';
  return null;
}
