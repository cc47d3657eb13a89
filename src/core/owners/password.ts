import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { invalid } from '../errors.js';

/**
 * Owner passwords, stored only as `scrypt$N$r$p$salt$hash` (salt and hash base64url): a slow,
 * memory-hard KDF from node:crypto with a random 16-byte salt per hash, its parameters kept
 * beside it so they can be raised later without breaking stored hashes.
 */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/** OWASP's scrypt equivalent of N=2^17,r=8,p=1 with a quarter of the memory (32 MiB): about 0.2 s per hash on one core. */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 15, r: 8, p: 3 });

const KEY_BYTES = 32;
const SALT_BYTES = 16;
export const PASSWORD_MIN_CHARS = 8;
/** Longer passwords add no strength and only cost hashing time. */
export const PASSWORD_MAX_BYTES = 1024;

/** Bounds on what a stored hash may ask for: a corrupted row must not make one sign-in eat the machine. */
const MAX = { N: 2 ** 20, r: 32, p: 16 };

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    // The async form runs on libuv's thread pool: a sign-in never blocks the event loop.
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (e, key) => (e ? reject(e) : resolve(key)));
  });
}

/** Throws VALIDATION_ERROR unless the password is acceptable for a new hash. */
export function checkNewPassword(password: string): void {
  if ([...password].length < PASSWORD_MIN_CHARS) throw invalid(`The password must have at least ${PASSWORD_MIN_CHARS} characters.`, { field: 'password' });
  if (Buffer.byteLength(password) > PASSWORD_MAX_BYTES) throw invalid(`The password must be at most ${PASSWORD_MAX_BYTES} bytes.`, { field: 'password' });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface Parsed {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const m = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{43})$/.exec(stored);
  if (!m) return undefined;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N < 2 || N > MAX.N || (N & (N - 1)) !== 0 || r < 1 || r > MAX.r || p < 1 || p > MAX.p) return undefined;
  return { params: { N, r, p }, salt: Buffer.from(m[4]!, 'base64url'), key: Buffer.from(m[5]!, 'base64url') };
}

/** True when `password` matches the stored hash (compared in constant time); false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (!h || Buffer.byteLength(password) > PASSWORD_MAX_BYTES) return false;
  const key = await derive(password, h.salt, h.params);
  return key.length === h.key.length && timingSafeEqual(key, h.key);
}

/**
 * The hash of a password nobody knows, with DEFAULT_SCRYPT: verified against when the email has no
 * owner (or no password), so an unknown email costs the same time as a wrong password and the
 * answer time says nothing about which emails exist. test/owners.test.ts checks its parameters
 * are the defaults.
 */
export const DUMMY_HASH = 'scrypt$32768$8$3$8RZklLoIBR5xk_2zmnVgDg$YAiVvZ15OCXEAajbCXEWnnI-wCHsWf2R_2BiwJ1klas';

/** Spends one verification's time and answers false. */
export async function dummyVerify(password: string): Promise<false> {
  await verifyPassword(password, DUMMY_HASH);
  return false;
}

/** The parameters a stored hash was made with (tests, and a future rehash-on-sign-in). */
export function hashParams(stored: string): ScryptParams | undefined {
  return parse(stored)?.params;
}
