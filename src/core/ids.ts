import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { customAlphabet } from 'nanoid';

/** Lowercase, unambiguous ids for rows: the same text in SQLite and PostgreSQL. */
const idAlphabet = customAlphabet('0123456789abcdefghijkmnpqrstuvwxyz', 16);
export const newId = (prefix: string): string => `${prefix}_${idAlphabet()}`;

export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * Secret tokens: a type prefix (for secret scanners), 256 bits from the CSPRNG in base64url, and a
 * CRC32 check so malformed or guessed strings are refused without touching the database.
 */
export const TOKEN_PREFIX = {
  project: 'spp_',
  account: 'spa_',
  download: 'spd_',
  /** A one-time upload URL's token (src/core/upload-urls.ts). */
  upload: 'spu_',
} as const;
export type TokenKind = keyof typeof TOKEN_PREFIX;

function checksum(body: string): string {
  return (crc32(body) >>> 0).toString(36).padStart(7, '0');
}

export function mintToken(kind: TokenKind): string {
  const body = TOKEN_PREFIX[kind] + randomBytes(32).toString('base64url');
  return `${body}_${checksum(body)}`;
}

const TOKEN_SHAPE = /^(sp[padu]_)([A-Za-z0-9_-]{43})_([0-9a-z]{7})$/;

/** True when the string has the shape and checksum of a token of that kind. */
export function isWellFormedToken(token: string, kind: TokenKind): boolean {
  const m = TOKEN_SHAPE.exec(token);
  if (!m || m[1] !== TOKEN_PREFIX[kind]) return false;
  return checksum(m[1] + m[2]) === m[3];
}

export const tokenHash = (token: string): string => sha256Hex(token);
/** What is shown in lists and logs instead of the token: the prefix and the first 6 secret characters. */
export const tokenDisplayPrefix = (token: string): string => token.slice(0, 10);
