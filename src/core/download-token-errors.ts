import type { DownloadTokenTable } from '../db/schema.js';
import { SitepubError, type ErrorType } from './errors.js';

export type TokenErrorType = Extract<ErrorType, `TOKEN_${string}`>;

/**
 * What each refusal means and how a model recovers from it (verify-token and revoke-token answer
 * these). The wording people see on a refused link is the HTTP layer's (download-pages.ts).
 */
const MESSAGES: Readonly<Record<TokenErrorType, string>> = {
  TOKEN_INVALID: 'No download token of this project matches. Check that the whole token was copied; file-downloads_list_downloads shows existing tokens by prefix.',
  TOKEN_REVOKED: 'The token has been revoked. Generate a new token with file-downloads_generate_token if the buyer should still get the file.',
  TOKEN_EXPIRED: 'The token has expired. Generate a new token (expires_in_hours, or 0 for no expiry).',
  TOKEN_EXHAUSTED: 'The token has no uses left (max_uses reached). Generate a new token, or one with a higher max_uses (0 = unlimited).',
  TOKEN_WRONG_VISITOR: 'The token is bound to another visitor. Pass the visitor_id the token was generated for.',
};

/** A refusal of a token, with the token's id and its expiration redirect (the link follows it) when the token is known. */
export function tokenError(type: TokenErrorType, token?: Pick<DownloadTokenTable, 'id' | 'expiration_redirect_url'>): SitepubError {
  return new SitepubError(type, MESSAGES[type], {
    ...(token ? { token_id: token.id } : {}),
    ...(token?.expiration_redirect_url ? { redirect_url: token.expiration_redirect_url } : {}),
  });
}

/**
 * The link is fine but its file is gone (deleted, or not uploaded yet): nothing was consumed, and
 * the same link works again once a file is uploaded at the same asset_url.
 */
export function fileMissing(token: Pick<DownloadTokenTable, 'id' | 'asset_slug'>, missing: readonly string[] = [token.asset_slug]): SitepubError {
  const list = missing.map((s) => `/${s}`);
  const what = list.length === 1 ? `The file behind this link (${list[0]}) does not exist now` : `${list.length} files of this bundle link (${list.join(', ')}) do not exist now`;
  return new SitepubError(
    'NOT_FOUND',
    `${what}, so no use was taken. Upload ${list.length === 1 ? 'it' : 'them'} again at the same path with assets_upload and the same link works again.`,
    { token_id: token.id, field: 'asset_url', missing_asset_urls: list },
  );
}
