import type { Core } from '../core/core.js';
import type { Logger } from '../log.js';
import type { Actor } from '../core/projects.js';
import { compileTrust, type TrustFn, type TrustProxy } from './client-address.js';

export interface HttpOptions {
  /** Host names (no port) the platform answers on: API, MCP, download links. */
  allowedHosts: ReadonlySet<string>;
  /** Origins allowed to call /mcp from a browser; requests without Origin are always allowed. */
  allowedOrigins: ReadonlySet<string>;
  /** Which proxies' X-Forwarded-For to believe (only proxies you run): true means one hop. */
  trustProxy: boolean | TrustProxy;
  /** Largest request body, bytes (a 5 MB asset in base64 plus JSON fits). */
  maxBodyBytes: number;
  /** Several processes share the database: check the site generation in it on every request. Default: on for PostgreSQL. */
  crossInstance?: boolean;
}

/** Answers one authenticated MCP request over Streamable HTTP (the HTTP edge checks Origin and the token first). */
export type McpHttpHandler = (request: Request, caller: { actor: Actor; client: string }) => Promise<Response>;

export interface AppDeps {
  core: Core;
  options: HttpOptions;
  logger: Logger;
  /** Compiled once from options.trustProxy by createApp. */
  trust?: TrustFn | undefined;
  /** Answers authenticated MCP requests at /mcp (wired by the composition root: src/http does not know the SDK). */
  mcp?: McpHttpHandler | undefined;
}

export function trustOf(options: HttpOptions): TrustFn | undefined {
  const t = options.trustProxy;
  return compileTrust(t === true ? 1 : t);
}

export const DEFAULT_MAX_BODY = 8 * 1024 * 1024;
