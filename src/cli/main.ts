#!/usr/bin/env node
import cluster from 'node:cluster';
import { createWriteStream, type WriteStream } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TOOLSETS, type Toolset } from '../../tools/index.js';
import { ensureFirstProject, openCore, type FirstRun } from '../bootstrap.js';
import { loadSettings, type Settings } from '../config.js';
import { LOCAL_ACTOR } from '../core/projects.js';
import { isSitepubError } from '../core/errors.js';
import { migrate } from '../db/connect.js';
import { exportData, importData } from '../db/transfer.js';
import { createLogger } from '../log.js';
import { createMcpServer } from '../mcp/server.js';
import { StdioTransport } from '../mcp/wire.js';

const HELP: Record<string, string> = {
  main: `sitepub: self-hosted website publishing for AI assistants

Usage: sitepub <command> [options]

Commands:
  serve            the platform over HTTP: MCP at /mcp, REST, download links, sites
  mcp              the MCP server over stdio (for Claude Desktop, Cursor, VS Code...)
  project create   create a project and its API token
  project list     list projects
  project quota    show or set a project's storage quota
  token create     create an API token for a project
  token revoke     revoke an API token by id, token or prefix
  token list       list API tokens (ids and prefixes only)
  migrate          apply database migrations and exit
  export           write all data as JSON lines (to move between SQLite and PostgreSQL)
  import           load an export into an empty database

Run "sitepub <command> --help" for the options of a command.
Environment: PORT, HOST, SITEPUB_DATA, SITEPUB_PUBLIC_URL, SITEPUB_SITE_DOMAIN, DATABASE_URL, SITEPUB_PROJECT,
SITEPUB_STORAGE_QUOTA_MB (default per-project storage quota, 1024; 0 = unlimited).`,
  serve: `Usage: sitepub serve [--port 8787] [--host 127.0.0.1] [--data ./data] [--workers N] [--toolsets pages,assets,downloads] [--read-only]

Serves MCP (Streamable HTTP) at /mcp, REST at /papi and /iapi, download links at /d/{token},
and every project's site at http://{subdomain}.{SITEPUB_SITE_DOMAIN}:{port}/.
On an empty data folder it creates a first project and prints its token once.
--workers N runs N processes on the port (one per core is a good start).`,
  mcp: `Usage: sitepub mcp [--data ./data] [--project ID] [--toolsets pages,assets,downloads] [--read-only]

Runs the MCP server over stdio. Logs go to stderr. Acts as the local operator: every project
in the data folder is reachable; --project (or SITEPUB_PROJECT) sets the default one.`,
  'project create': `Usage: sitepub project create --name NAME [--subdomain SUB] [--json] [--data ./data]

Creates a project and a project API token (shown once). --json prints
{"project_id","domain","url","token"}.`,
  'project list': 'Usage: sitepub project list [--json] [--data ./data]',
  'project quota': `Usage: sitepub project quota --project ID [--mb N | --default] [--json] [--data ./data]

Shows a project's storage use and quota. --mb N sets its own quota in megabytes (0 = unlimited);
--default returns it to the server's default (SITEPUB_STORAGE_QUOTA_MB, 1024 unless set).`,
  'token create': `Usage: sitepub token create (--project ID | --account) [--read-only] [--json] [--data ./data]

Creates an API token (shown once; only its hash is stored). A project token works on one
project; an account token (--account) works on every project and may create projects.
--read-only tokens can only read, and MCP clients using them see only the read-only tools.`,
  'token revoke': 'Usage: sitepub token revoke TOKEN_PREFIX_OR_ID [--data ./data]',
  'token list': 'Usage: sitepub token list [--project ID] [--json] [--data ./data]',
  migrate: 'Usage: sitepub migrate [--data ./data]   (uses DATABASE_URL when set)',
  export: `Usage: sitepub export [--out FILE] [--data ./data]

Writes every project, page version, asset, token hash and download record as JSON lines
(to stdout without --out). With DATABASE_URL set it exports from PostgreSQL.`,
  import: `Usage: sitepub import --in FILE [--data ./data]

Loads an export into an EMPTY database (SQLite in --data, or PostgreSQL with DATABASE_URL),
all or nothing. To move from SQLite to PostgreSQL:
  sitepub export --data ./data --out sitepub.jsonl
  DATABASE_URL=postgres://... sitepub import --in sitepub.jsonl`,
};

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  port: { type: 'string' },
  host: { type: 'string' },
  data: { type: 'string' },
  project: { type: 'string' },
  name: { type: 'string' },
  subdomain: { type: 'string' },
  json: { type: 'boolean' },
  'read-only': { type: 'boolean' },
  toolsets: { type: 'string' },
  account: { type: 'boolean' },
  out: { type: 'string' },
  workers: { type: 'string' },
  in: { type: 'string' },
  mb: { type: 'string' },
  default: { type: 'boolean' },
} satisfies ParseArgsConfig['options'];

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

class UsageError extends Error {}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function parseToolsets(v: string | undefined): Toolset[] | undefined {
  if (!v) return undefined;
  const sets = v.split(',').map((s) => s.trim()) as Toolset[];
  for (const s of sets) if (!TOOLSETS.includes(s)) throw new UsageError(`Unknown toolset "${s}". Known: ${TOOLSETS.join(', ')}`);
  return sets;
}

function clientConfig(s: Settings, token: string, url: string): string {
  return JSON.stringify({ mcpServers: { sitepub: { type: 'http', url: `${url}/mcp`, headers: { Authorization: `Bearer ${token}` } } } }, null, 2);
}

function firstRunBanner(first: FirstRun, s: Settings, platformUrl: string): string {
  return [
    '',
    '  sitepub: first start. A project was created for you.',
    `  Site:    ${first.project.url}/`,
    `  Project: ${first.project.id}`,
    `  Token:   ${first.token.token}`,
    '  (The token is shown only now; sitepub stores only its hash. Make another with `sitepub token create`.)',
    '',
    '  MCP client config (Streamable HTTP), ready to paste:',
    clientConfig(s, first.token.token, platformUrl)
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const v = values as Values;
  const [cmd, sub] = positionals;
  const key = cmd === 'project' || cmd === 'token' ? `${cmd} ${sub ?? ''}`.trim() : (cmd ?? 'main');
  if (!cmd || v.help) {
    out(HELP[key] ?? HELP.main!);
    return 0;
  }
  if (!HELP[key]) throw new UsageError(`Unknown command "${positionals.join(' ')}". Run "sitepub --help".`);

  let port = cluster.isWorker ? process.env.SITEPUB_WORKER_PORT : v.port;
  // The HTTP stack is loaded only by `serve`, so `sitepub mcp` starts fast.
  const { freePort, startHttp } = cmd === 'serve' ? await import('../server.js') : ({} as typeof import('../server.js'));
  if (cmd === 'serve' && !cluster.isWorker && (port ?? process.env.PORT) === '0') port = String(await freePort(v.host ?? process.env.HOST ?? '127.0.0.1'));
  const settings = loadSettings({ port, host: v.host, data: v.data, project: v.project });
  const logger = createLogger();

  if (cmd === 'serve') {
    const workers = Number(v.workers ?? process.env.SITEPUB_WORKERS ?? 1);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError('--workers takes a whole number from 1 to 64');
    const filter = { toolsets: parseToolsets(v.toolsets), readOnly: v['read-only'] ?? false };
    if (cluster.isWorker) {
      // A worker of `serve --workers N`: the primary already migrated; caches check the shared generation.
      const core = await openCore(settings, { migrate: false });
      const server = await startHttp(core, settings, logger, filter, true);
      // A worker never outlives its primary; on SIGTERM it stops accepting and exits cleanly.
      process.once('disconnect', () => process.exit(0));
      process.once('SIGTERM', () => {
        setTimeout(() => process.exit(0), 300).unref();
        void server.close().then(() => core.close()).finally(() => process.exit(0));
      });
      process.send?.('listening');
      return -1;
    }
    if (workers > 1) {
      const core = await openCore(settings);
      const first = await ensureFirstProject(core).catch(() => undefined);
      await core.close();
      cluster.schedulingPolicy = cluster.SCHED_NONE;
      let up = 0;
      for (let i = 0; i < workers; i++) {
        const w = cluster.fork({ SITEPUB_WORKER_PORT: String(settings.port) });
        w.on('message', (m) => {
          if (m === 'listening' && ++up === workers) {
            if (first) out(firstRunBanner(first, settings, settings.publicUrl));
            out(`sitepub listening on http://${settings.host}:${settings.port} with ${workers} workers (public URL ${settings.publicUrl}; sites at http://{subdomain}.${settings.siteDomain}:${settings.port}/)`);
          }
        });
      }
      cluster.on('exit', (w, code) => {
        if (code !== 0 && !stopping) logger.error({ pid: w.process.pid, code }, 'worker exited');
      });
      let stopping = false;
      const stopAll = () => {
        stopping = true;
        for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
        setTimeout(() => process.exit(0), 500).unref();
      };
      process.once('SIGINT', stopAll);
      process.once('SIGTERM', stopAll);
      return -1;
    }
    const core = await openCore(settings);
    const first = await ensureFirstProject(core).catch(() => undefined);
    const server = await startHttp(core, settings, logger, filter);
    if (first) out(firstRunBanner(first, settings, settings.publicUrl));
    out(`sitepub listening on ${server.url} (public URL ${settings.publicUrl}; sites at http://{subdomain}.${settings.siteDomain}:${server.port}/)`);
    const stop = async () => {
      await server.close();
      await core.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
    return -1;
  }

  if (cmd === 'mcp') {
    const core = await openCore(settings);
    const first = await ensureFirstProject(core).catch(() => undefined);
    if (first) process.stderr.write(`sitepub: created project ${first.project.id}; site at ${first.project.url}/ (served by \`sitepub serve\`)\n`);
    const filter = { toolsets: parseToolsets(v.toolsets), readOnly: v['read-only'] ?? false };
    const server = createMcpServer(core, { actor: LOCAL_ACTOR, defaultProjectId: settings.defaultProject, filter, logger });
    await server.connect(new StdioTransport());
    process.stderr.write('sitepub MCP server running on stdio\n');
    const stop = async () => {
      await server.close();
      await core.close();
      process.exit(0);
    };
    process.stdin.once('end', () => void stop());
    process.once('SIGTERM', () => void stop());
    return -1;
  }

  const core = await openCore(settings);
  try {
    switch (key) {
      case 'migrate': {
        const applied = await migrate(core.db);
        out(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
        return 0;
      }
      case 'export': {
        const stream = v.out ? createWriteStream(v.out) : process.stdout;
        const counts = await exportData(core.db, stream);
        if (v.out) {
          await new Promise<void>((resolve, reject) => (stream as WriteStream).end((e?: Error | null) => (e ? reject(e) : resolve())));
          out(`Exported to ${v.out}: ${JSON.stringify(counts)}`);
        }
        return 0;
      }
      case 'import': {
        if (!v.in) throw new UsageError('--in FILE is required. Usage: sitepub import --in FILE');
        const counts = await importData(core.db, v.in);
        out(`Imported: ${JSON.stringify(counts)}`);
        return 0;
      }
      case 'project create': {
        if (!v.name) throw new UsageError('--name is required. Usage: sitepub project create --name NAME [--subdomain SUB]');
        const project = await core.projects.create({ name: v.name, subdomain: v.subdomain });
        const token = await core.projects.issueToken({ projectId: project.id, label: 'project create' });
        if (v.json) out(JSON.stringify({ project_id: project.id, domain: project.domain, url: project.url, token: token.token }));
        else {
          out(`Created project ${project.id} (${project.name})`);
          out(`Site:  ${project.url}/`);
          out(`Token: ${token.token}`);
          out('The token is shown only now.');
        }
        return 0;
      }
      case 'project list': {
        const projects = await core.projects.list();
        if (v.json) out(JSON.stringify(projects.map((p) => ({ project_id: p.id, name: p.name, domain: p.domain, url: p.url, created_at: p.created_at }))));
        else for (const p of projects) out(`${p.id}\t${p.domain}\t${p.name}`);
        return 0;
      }
      case 'project quota': {
        const projectId = v.project ?? settings.defaultProject;
        if (!projectId) throw new UsageError('--project ID is required (see `sitepub project list`).');
        const project = await core.projects.get(projectId);
        if (v.mb !== undefined && v.default) throw new UsageError('Pass --mb N or --default, not both.');
        if (v.mb !== undefined) {
          const mb = Number(v.mb);
          if (!Number.isFinite(mb) || mb < 0) throw new UsageError('--mb takes a number of megabytes, 0 for unlimited.');
          await core.assets.quota.setQuota(project.id, Math.round(mb * 1024 * 1024));
        } else if (v.default) await core.assets.quota.setQuota(project.id, null);
        const { used, quota } = await core.assets.quota.usage(project.id);
        if (v.json) out(JSON.stringify({ project_id: project.id, used_bytes: used, quota_bytes: quota }));
        else out(`${project.id}\tused ${(used / 1048576).toFixed(1)} MB of ${quota === 0 ? 'unlimited' : `${(quota / 1048576).toFixed(1)} MB`}`);
        return 0;
      }
      case 'token create': {
        const projectId = v.account ? null : (v.project ?? settings.defaultProject);
        if (projectId === undefined) throw new UsageError('--project ID (see `sitepub project list`) or --account is required.');
        const t = await core.projects.issueToken({ projectId, scope: v['read-only'] ? 'read' : 'write', label: 'token create' });
        if (v.json) out(JSON.stringify(t));
        else {
          out(`Token ${t.token_id} (${t.scope}) for ${projectId ?? 'the whole account'}:`);
          out(t.token);
          out('Shown only now; sitepub stores only its hash.');
        }
        return 0;
      }
      case 'token revoke': {
        const ref = positionals[2];
        if (!ref) throw new UsageError('Usage: sitepub token revoke TOKEN_PREFIX_OR_ID');
        const r = await core.projects.revokeToken(ref);
        out(`Revoked ${r.token_id}`);
        return 0;
      }
      case 'token list': {
        const tokens = await core.projects.listTokens(v.project);
        if (v.json) out(JSON.stringify(tokens));
        else for (const t of tokens) out(`${t.token_id}\t${t.token_prefix}...\t${t.project_id ?? '(account)'}\t${t.scope}${t.revoked_at ? '\trevoked' : ''}`);
        return 0;
      }
    }
    throw new UsageError(`Unknown command "${key}"`);
  } finally {
    await core.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError || (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`sitepub: ${e.message}\n`);
      process.exitCode = 2;
    } else if (isSitepubError(e)) {
      process.stderr.write(`sitepub: ${e.type}: ${e.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`sitepub: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  },
);
