import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { clientAddress, type TrustFn } from './client-address.js';

/** The client's address for a Hono request (see clientAddress; app.request() in tests has no socket). */
export function clientIp(c: Context, trust: TrustFn | undefined): string | null {
  let socket: string | undefined;
  try {
    socket = getConnInfo(c).remote.address;
  } catch {
    socket = undefined;
  }
  return clientAddress(socket, c.req.header('x-forwarded-for'), trust);
}
