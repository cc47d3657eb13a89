import type { Settings } from './config.js';
import { urlConfigOf } from './config.js';
import { Core } from './core/core.js';
import type { IssuedToken, Project } from './core/projects.js';
import { migrate, openDb } from './db/connect.js';

/** Opens the database, applies migrations and wires the core. */
export async function openCore(s: Settings, opts: { migrate?: boolean } = {}): Promise<Core> {
  const db = openDb({ databaseUrl: s.databaseUrl, dataDir: s.dataDir });
  try {
    if (opts.migrate ?? true) await migrate(db);
  } catch (e) {
    await db.close();
    throw e;
  }
  return new Core({
    db,
    urls: urlConfigOf(s),
    limits: { storageQuotaBytes: s.storageQuotaBytes },
    fetchPolicy: s.fetchAllowAddresses.length ? { allowAddresses: s.fetchAllowAddresses } : {},
  });
}

export interface FirstRun {
  project: Project;
  token: IssuedToken;
}

/** On an empty data folder, creates the first project and its token (shown once by the caller). */
export async function ensureFirstProject(core: Core): Promise<FirstRun | undefined> {
  const existing = await core.projects.list();
  if (existing.length > 0) return undefined;
  const project = await core.projects.create({ name: 'My Site', subdomain: 'mysite' });
  const token = await core.projects.issueToken({ projectId: project.id, label: 'first start' });
  return { project, token };
}
