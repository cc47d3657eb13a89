import type { Server } from '@modelcontextprotocol/server';
import { rootFolders, type LocalFileAccess } from '../core/local-files.js';
import type { Logger } from '../log.js';

/** How long a file_path upload waits for the client's roots/list answer before going on without it. */
const ROOTS_TIMEOUT_MS = 5_000;

/**
 * The folders a stdio caller may upload from: `--allow-dir` folders, plus the client's MCP roots
 * when it declared the roots capability (asked at each file_path upload, so a folder the user
 * opened since counts). Roots are a 2025-era request; a 2026-07-28 client (roots deprecated, no
 * server-to-client requests) or a client that fails to answer leaves only the --allow-dir folders.
 */
export function localFileAccess(server: Server, allowDirs: readonly string[], log: Logger): LocalFileAccess {
  return {
    async folders() {
      if (!server.getClientCapabilities()?.roots) return allowDirs;
      try {
        const { roots } = await server.listRoots(undefined, { timeout: ROOTS_TIMEOUT_MS });
        return [...allowDirs, ...rootFolders(roots)];
      } catch (e) {
        log.debug({ err: e }, 'roots/list failed; only --allow-dir folders apply');
        return allowDirs;
      }
    },
  };
}
