// Bundles the CLI (dist/sitepub.mjs and its chunks in dist/chunks/): `sitepub mcp` starts in about half
// the time, because Node resolves and loads a few modules instead of several hundred. Split at the
// CLI's dynamic imports, so `sitepub mcp` loads neither the HTTP server (Hono, the dashboard, the
// OAuth pages) nor the admin commands, and `sitepub serve` not the stdio adapter. Native and lazily
// loaded modules stay external and load from node_modules when used. The page-check worker thread
// (src/core/sites/check-pool.ts) is its own entry, dist/check-worker.mjs, sharing parse5's chunk.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/chunks', { recursive: true, force: true });
await build({
  entryPoints: { sitepub: 'dist/src/cli/main.js', 'check-worker': 'dist/src/core/sites/check-worker.js' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  external: ['better-sqlite3', 'pg', 'undici', 'file-type', 'pdf-lib'],
  banner: { js: "import { createRequire as __sitepubRequire } from 'node:module'; const require = __sitepubRequire(import.meta.url);" },
});
