import type { Context } from 'hono';
import { OAuthError } from '../../core/oauth/errors.js';

/** Parameters of a query or form, each at most once (OAuth forbids repeating one): the repeated names are listed. */
export interface SingleParams {
  fields: Partial<Record<string, string>>;
  repeated: string[];
}

export function singleParams(params: URLSearchParams): SingleParams {
  const fields: Record<string, string> = {};
  const repeated = new Set<string>();
  for (const [k, v] of params) {
    if (Object.hasOwn(fields, k)) repeated.add(k);
    else fields[k] = v;
  }
  return { fields, repeated: [...repeated] };
}

/** A form-encoded body (the token, revocation and consent endpoints take nothing else). */
export async function formParams(c: Context): Promise<SingleParams> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded.');
  }
  return singleParams(new URLSearchParams(await c.req.text()));
}

/** The same, refusing a repeated parameter (token and revocation endpoints). */
export async function formFields(c: Context): Promise<Partial<Record<string, string>>> {
  const { fields, repeated } = await formParams(c);
  if (repeated.length) throw new OAuthError('invalid_request', `Parameters sent more than once: ${repeated.join(', ')}.`);
  return fields;
}

/** Client credentials from `Authorization: Basic` (client_secret_basic: both parts form-encoded, RFC 6749 section 2.3.1). */
export function basicCredentials(c: Context): { id: string; secret: string } | undefined {
  const h = c.req.header('authorization');
  const m = h ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(h) : null;
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_client', 'HTTP Basic client credentials must be client_id:client_secret.');
  const part = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      throw new OAuthError('invalid_client', 'HTTP Basic client credentials are not form-encoded correctly.');
    }
  };
  return { id: part(decoded.slice(0, colon)), secret: part(decoded.slice(colon + 1)) };
}
