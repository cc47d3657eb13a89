import { randomBytes } from 'node:crypto';

/**
 * The bearer secrets of the authorization server: a type prefix (for secret scanners and for the
 * /mcp edge to tell an OAuth token from an API token without a lookup) and 256 bits from the
 * CSPRNG in base64url. Only their SHA-256 (`tokenHash` in ../ids.ts) is stored; a string without
 * the shape is refused before any database read.
 */
export const OAUTH_SECRET_PREFIX = {
  access: 'spo_',
  refresh: 'spr_',
  code: 'spc_',
  clientSecret: 'spk_',
} as const;

export type OAuthSecretKind = keyof typeof OAUTH_SECRET_PREFIX;

export function mintOAuthSecret(kind: OAuthSecretKind): string {
  return OAUTH_SECRET_PREFIX[kind] + randomBytes(32).toString('base64url');
}

const SHAPE = /^sp[orck]_[A-Za-z0-9_-]{43}$/;

export function isOAuthSecret(value: unknown, kind: OAuthSecretKind): value is string {
  return typeof value === 'string' && SHAPE.test(value) && value.startsWith(OAUTH_SECRET_PREFIX[kind]);
}

/** True for anything that looks like an OAuth access token (the prefix only: cheap, for dispatch). */
export const looksLikeAccessToken = (token: string): boolean => token.startsWith(OAUTH_SECRET_PREFIX.access);
