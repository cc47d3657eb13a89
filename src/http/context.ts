import type { ToolFilter } from '../../tools/index.js';
import type { Core } from '../core/core.js';
import type { Logger } from '../log.js';

export interface HttpOptions {
  /** Host names (no port) the platform answers on: API, MCP, download links. */
  allowedHosts: ReadonlySet<string>;
  /** Origins allowed to call /mcp from a browser; requests without Origin are always allowed. */
  allowedOrigins: ReadonlySet<string>;
  /** Trust X-Forwarded-For (only behind a reverse proxy you run). */
  trustProxy: boolean;
  /** Largest request body, bytes (a 5 MB asset in base64 plus JSON fits). */
  maxBodyBytes: number;
  mcpFilter?: ToolFilter;
  /** Several processes share the database: check the site generation in it on every request. Default: on for PostgreSQL. */
  crossInstance?: boolean;
}

export interface AppDeps {
  core: Core;
  options: HttpOptions;
  logger: Logger;
}

export const DEFAULT_MAX_BODY = 8 * 1024 * 1024;
