import type { Settings } from './config.js';
import { urlConfigOf } from './config.js';
import { Core } from './core/core.js';
import { fileTxt } from './core/domains/index.js';
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
    limits: { storageQuotaBytes: s.storageQuotaBytes, maxPrivateBytes: s.maxPrivateBytes },
    fetchPolicy: s.fetchAllowAddresses.length ? { allowAddresses: s.fetchAllowAddresses } : {},
    ...(s.dnsTxtFile ? { dnsTxt: fileTxt(s.dnsTxtFile) } : {}),
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

/** The email of the owner the first start makes (signs in by link only until a real owner is made). */
export const FIRST_OWNER_EMAIL = 'owner@localhost';

export interface FirstOwner {
  email: string;
  /** A one-time sign-in link (15 minutes), shown once. */
  loginUrl: string;
  expiresAt: string;
}

/**
 * When no owner exists yet (a new data folder, or one from before owners existed), makes one
 * without a password and a one-time sign-in link for the banner, so the person who started the
 * server can open the dashboard at once.
 */
export async function ensureFirstOwner(core: Core): Promise<FirstOwner | undefined> {
  if ((await core.owners.list()).length > 0) return undefined;
  const owner = await core.owners.create({ email: FIRST_OWNER_EMAIL });
  const link = await core.owners.loginLinkFor(owner.id);
  return { email: owner.email, loginUrl: link.url, expiresAt: link.expires_at };
}
