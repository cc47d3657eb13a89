import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ManualClock, type Clock } from '../src/core/clock.js';
import { SitepubError } from '../src/core/errors.js';
import { makeUrlConfig, type Limits } from '../src/core/config.js';
import { Core } from '../src/core/core.js';
import type { FetchPolicy } from '../src/core/assets.js';
import type { TxtResolver } from '../src/core/domains/index.js';
import { LOCAL_ACTOR, type Actor, type Project } from '../src/core/projects.js';
import { migrate, openDb, type OpenOptions } from '../src/db/connect.js';
import type { RateLimitOptions } from '../src/core/rate-limit.js';
import { openTestDb, type DialectName } from './dialects.js';
import { createMcpServer, type McpSession } from '../src/mcp/server.js';

export const TEST_PUBLIC_URL = 'http://127.0.0.1:8787';

export interface TestEnv {
  core: Core;
  clock: ManualClock;
  project: Project;
  close(): Promise<void>;
}

/** A fresh core on its own in-memory SQLite (or the dialect given), with one project. */
export async function makeEnv(opts: { db?: OpenOptions; dialect?: DialectName; clock?: ManualClock; fetchPolicy?: FetchPolicy; rateLimit?: RateLimitOptions; dnsTxt?: TxtResolver; limits?: Partial<Limits> } = {}): Promise<TestEnv> {
  const clock = opts.clock ?? new ManualClock('2026-03-01T12:00:00.000Z');
  const opened = opts.db ? { db: openDb(opts.db), cleanup: async () => {} } : await openTestDb(opts.dialect ?? 'sqlite');
  const db = opened.db;
  await migrate(db);
  const core = new Core({ db, urls: makeUrlConfig(TEST_PUBLIC_URL, 'localhost'), clock: clock as Clock, rateLimit: opts.rateLimit ?? { points: 1000, windowSec: 60 }, ...(opts.limits ? { limits: opts.limits } : {}), ...(opts.fetchPolicy ? { fetchPolicy: opts.fetchPolicy } : {}), dnsTxt: opts.dnsTxt ?? (async () => []) });
  const project = await core.projects.create({ name: 'Bakery', subdomain: 'bakery' });
  return {
    core,
    clock,
    project,
    close: async () => {
      if (opts.db) await core.close();
      else await opened.cleanup();
    },
  };
}

export interface CallOutcome<T = Record<string, unknown>> {
  ok: boolean;
  data: T;
  error: { code: number; type: string; message: string; [k: string]: unknown };
  raw: Awaited<ReturnType<Client['callTool']>>;
}

export async function connect(core: Core, session: Partial<McpSession> = {}): Promise<Client> {
  const server = createMcpServer(core, { actor: LOCAL_ACTOR as Actor, ...session });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test', version: '1.0.0' });
  await Promise.all([server.connect(a), client.connect(b)]);
  return client;
}

/** Calls a tool and unpacks success (structuredContent) or the error JSON (docs/errors.md). */
export async function call<T = Record<string, unknown>>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallOutcome<T>> {
  const raw = await client.callTool({ name, arguments: args });
  const text = (raw.content as Array<{ type: string; text: string }>)[0]?.text ?? '';
  if (raw.isError) return { ok: false, data: undefined as T, error: JSON.parse(text), raw };
  const data = raw.structuredContent as T;
  return { ok: true, data, error: undefined as never, raw };
}

/** The SitepubError a promise rejects with; fails the test if it resolves or throws anything else. */
export async function rejection(p: Promise<unknown>): Promise<SitepubError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SitepubError) return e;
    throw e;
  }
  throw new Error('expected a SitepubError rejection');
}

export const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64');

/** A real 1x1 PNG. */
export const PNG_1PX = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** A minimal PDF that file-type recognises. */
export const PDF_MIN = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

import { createApp } from '../src/http/app.js';
import { createMcpHttpHandler } from '../src/mcp/http.js';
import { DEFAULT_MAX_BODY } from '../src/http/context.js';
import { silentLogger } from '../src/log.js';

/** The Hono app over a test core, driven with app.request() (no socket). */
export function makeApp(env: TestEnv) {
  const { app } = createApp({
    core: env.core,
    logger: silentLogger,
    mcp: createMcpHttpHandler(env.core, { logger: silentLogger, maxBodyBytes: DEFAULT_MAX_BODY }),
    options: {
      allowedHosts: new Set(['127.0.0.1', 'localhost']),
      allowedOrigins: new Set(['http://127.0.0.1:8787']),
      trustProxy: true,
      maxBodyBytes: DEFAULT_MAX_BODY,
    },
  });
  return (path: string, init: RequestInit & { host?: string } = {}) => {
    const headers = new Headers(init.headers);
    headers.set('host', init.host ?? '127.0.0.1:8787');
    return app.request(`http://${init.host ?? '127.0.0.1:8787'}${path}`, { ...init, headers });
  };
}

/** The production listener (createApp) on a real loopback socket, for tests that need real HTTP (streams, Range, sockets). */
export interface LoopbackServer {
  port: number;
  /** `http://127.0.0.1:{port}` */
  base: string;
  close(): Promise<void>;
}

export async function listenOnLoopback(core: Core): Promise<LoopbackServer> {
  const { listener } = createApp({
    core,
    logger: silentLogger,
    options: { allowedHosts: new Set(['127.0.0.1']), allowedOrigins: new Set(), trustProxy: false, maxBodyBytes: DEFAULT_MAX_BODY },
  });
  const server = createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
