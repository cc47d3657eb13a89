import { randomBytes } from 'node:crypto';

/**
 * The bearer secrets of owner sign-in: a type prefix and 256 bits from the CSPRNG in base64url.
 * Only their SHA-256 (`tokenHash` in ../ids.ts) is stored; a string without the shape is refused
 * before any database read.
 */
export const OWNER_SECRET_PREFIX = {
  /** The value of the `sitepub_session` cookie. */
  session: 'sps_',
  /** The token in a one-time sign-in link. */
  loginLink: 'spl_',
} as const;

export type OwnerSecretKind = keyof typeof OWNER_SECRET_PREFIX;

export function mintOwnerSecret(kind: OwnerSecretKind): string {
  return OWNER_SECRET_PREFIX[kind] + randomBytes(32).toString('base64url');
}

const SHAPE = /^sp[sl]_[A-Za-z0-9_-]{43}$/;

export function isOwnerSecret(value: string | undefined, kind: OwnerSecretKind): value is string {
  return value !== undefined && SHAPE.test(value) && value.startsWith(OWNER_SECRET_PREFIX[kind]);
}

/** A random token for forms (CSRF): not a credential on its own, but unguessable. */
export const formToken = (): string => randomBytes(32).toString('base64url');
