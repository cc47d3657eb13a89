import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { openCore } from '../bootstrap.js';
import { loadSettings, type Settings } from '../config.js';
import type { Core } from '../core/core.js';
import { migrate } from '../db/connect.js';
import { exportData, importData } from '../db/transfer.js';
import type { Command, Parsed } from './options.js';
import { out } from './output.js';
import { UsageError } from './usage-error.js';

/** The commands that open the database, do one thing and exit. */
export type AdminCommand = Exclude<Command, 'serve' | 'mcp'>;

type AdminRun<C extends AdminCommand> = (core: Core, parsed: Parsed<C>, settings: Settings) => Promise<void>;

const CREATES_DATABASE: ReadonlySet<AdminCommand> = new Set(['migrate', 'import']);

/** Runs one admin command on an open core, closed again however it ends. */
export async function runAdmin<C extends AdminCommand>(command: C, parsed: Parsed<C>): Promise<number> {
  const { data } = (parsed as Parsed<AdminCommand>).values;
  const settings = loadSettings({ data });
  // A mistyped --data must not quietly become a new, empty database: only `migrate` and `import`
  // (and `serve`, `mcp`) make one.
  if (!settings.databaseUrl && !CREATES_DATABASE.has(command) && !existsSync(path.join(settings.dataDir, 'sitepub.db'))) {
    throw new UsageError(`No sitepub database in ${path.resolve(settings.dataDir)} (looked for sitepub.db). Check --data (or SITEPUB_DATA); \`sitepub migrate --data DIR\` makes a new one.`);
  }
  const core = await openCore(settings);
  try {
    const run: AdminRun<C> = ADMIN[command];
    await run(core, parsed, settings);
    return 0;
  } finally {
    await core.close();
  }
}

const ADMIN: { [C in AdminCommand]: AdminRun<C> } = {
  migrate: async (core) => {
    const applied = await migrate(core.db);
    out(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
  },

  export: async (core, { values: v }) => {
    const stream = v.out ? createWriteStream(v.out) : process.stdout;
    const counts = await exportData(core.db, stream);
    if (v.out) {
      await new Promise<void>((resolve, reject) => (stream as WriteStream).end((e?: Error | null) => (e ? reject(e) : resolve())));
      out(`Exported to ${v.out}: ${JSON.stringify(counts)}`);
    }
  },

  import: async (core, { values: v }) => {
    if (!v.in) throw new UsageError('--in FILE is required. Usage: sitepub import --in FILE');
    const counts = await importData(core.db, v.in);
    out(`Imported: ${JSON.stringify(counts)}`);
  },

  'project create': async (core, { values: v }) => {
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
  },

  'project list': async (core, { values: v }) => {
    const projects = await core.projects.list();
    if (v.json) out(JSON.stringify(projects.map((p) => ({ project_id: p.id, name: p.name, domain: p.domain, url: p.url, created_at: p.created_at }))));
    else for (const p of projects) out(`${p.id}\t${p.domain}\t${p.name}`);
  },

  'project quota': async (core, { values: v }, settings) => {
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
  },

  'token create': async (core, { values: v }, settings) => {
    const projectId = v.account ? null : (v.project ?? settings.defaultProject);
    if (projectId === undefined) throw new UsageError('--project ID (see `sitepub project list`) or --account is required.');
    const t = await core.projects.issueToken({ projectId, scope: v['read-only'] ? 'read' : 'write', label: 'token create' });
    if (v.json) out(JSON.stringify(t));
    else {
      out(`Token ${t.token_id} (${t.scope}) for ${projectId ?? 'the whole account'}:`);
      out(t.token);
      out('Shown only now; sitepub stores only its hash.');
    }
  },

  'owner create': async (core, { values: v }) => {
    if (!v.email) throw new UsageError('--email is required. Usage: sitepub owner create --email EMAIL [--password-stdin]');
    const password = v['password-stdin'] ? await readPassword() : undefined;
    const owner = await core.owners.create({ email: v.email, password });
    if (v.json) out(JSON.stringify({ owner_id: owner.id, email: owner.email }));
    else {
      out(`Created owner ${owner.id} (${owner.email})`);
      if (!owner.has_password) out(`No password: sign in with a one-time link from \`sitepub owner login-link --email ${owner.email}\`.`);
    }
  },

  'owner login-link': async (core, { values: v }) => {
    if (!v.email) throw new UsageError('--email is required. Usage: sitepub owner login-link --email EMAIL');
    const link = await core.owners.loginLink(v.email);
    if (v.json) out(JSON.stringify({ url: link.url, expires_at: link.expires_at }));
    else {
      out(link.url);
      out(`Works once, until ${link.expires_at}.`);
    }
  },

  'token revoke': async (core, { operands }) => {
    const ref = operands[0];
    if (!ref) throw new UsageError('Usage: sitepub token revoke TOKEN_PREFIX_OR_ID');
    const r = await core.projects.revokeToken(ref);
    out(`Revoked ${r.token_id}`);
  },

  'token list': async (core, { values: v }) => {
    const tokens = await core.projects.listTokens(v.project);
    if (v.json) out(JSON.stringify(tokens));
    else for (const t of tokens) out(`${t.token_id}\t${t.token_prefix}...\t${t.project_id ?? '(account)'}\t${t.scope}${t.revoked_at ? '\trevoked' : ''}`);
  },
};

/** The password piped to `--password-stdin`: all of stdin, without the line break `echo` adds. */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('--password-stdin reads the password from a pipe: printf %s "$PASSWORD" | sitepub owner create --email EMAIL --password-stdin');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > 4096) throw new UsageError('--password-stdin: the password is too long.');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
