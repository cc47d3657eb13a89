import type { CompiledQuery, Kysely } from 'kysely';
import type { Db } from '../db/connect.js';
import { unlessTaken } from '../db/constraints.js';
import { syncRead } from '../db/sync-read.js';
import type { Database, ProjectTable } from '../db/schema.js';
import type { Clock } from './clock.js';
import { siteUrl, type UrlConfig } from './config.js';
import { SitepubError, invalid, notFound } from './errors.js';
import { isWellFormedToken, mintToken, newId, tokenDisplayPrefix, tokenHash } from './ids.js';
import { trimChar } from './trim.js';

export type Scope = 'read' | 'write';

/** Who is calling: a project token, an account token, or the local operator (stdio, CLI). */
export interface Actor {
  kind: 'project' | 'account' | 'local';
  /** The project a project token is bound to. */
  projectId: string | null;
  scope: Scope;
  tokenId: string | null;
  /**
   * Authorized by an OAuth grant. A read-only grant can step up (MCP 2025-11-25: 403
   * insufficient_scope, then the client asks the owner again), so its tool list shows the write tools.
   */
  oauth?: true;
}

export const LOCAL_ACTOR: Actor = { kind: 'local', projectId: null, scope: 'write', tokenId: null };

export interface Project {
  id: string;
  name: string;
  subdomain: string;
  domain: string;
  url: string;
  created_at: string;
}

export interface IssuedToken {
  token: string;
  token_id: string;
  token_prefix: string;
  project_id: string | null;
  scope: Scope;
}

const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const RESERVED_SUBDOMAINS = new Set(['www', 'api', 'mcp', 'admin', 'd', 'static', 'assets', 'mail']);

export class ProjectService {
  /** Projects change rarely and are read on every request: keep them in memory, keyed both ways. */
  private readonly byId = new Map<string, Project>();
  private readonly bySubdomain = new Map<string, Project>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly urls: UrlConfig,
    private readonly sqlDb?: Db,
  ) {}

  /** Compiled once: authorize() lists projects on every call that names none (stdio). */
  private listQuery?: CompiledQuery<Pick<ProjectTable, 'id' | 'name' | 'subdomain' | 'created_at'>>;

  private toProject(row: Pick<ProjectTable, 'id' | 'name' | 'subdomain' | 'created_at'>): Project {
    const p: Project = {
      id: row.id,
      name: row.name,
      subdomain: row.subdomain,
      domain: `${row.subdomain}.${this.urls.siteDomain}`,
      url: siteUrl(this.urls, row.subdomain),
      created_at: row.created_at,
    };
    this.byId.set(p.id, p);
    this.bySubdomain.set(p.subdomain, p);
    return p;
  }

  async create(input: { name: string; subdomain?: string | undefined }): Promise<Project> {
    const name = input.name.trim();
    if (!name || name.length > 200) throw invalid('Project name must be 1 to 200 characters', { field: 'name' });
    const subdomain = (input.subdomain ?? slugify(name)).toLowerCase();
    if (!SUBDOMAIN.test(subdomain))
      throw invalid(`Invalid subdomain "${subdomain}": use a-z, 0-9 and "-", 1 to 63 characters`, { field: 'subdomain' });
    if (RESERVED_SUBDOMAINS.has(subdomain)) throw invalid(`Subdomain "${subdomain}" is reserved`, { field: 'subdomain' });
    const row = { id: newId('prj'), name, subdomain, created_at: this.clock.now().toISOString() };
    const taken = await this.db.selectFrom('projects').select('id').where('subdomain', '=', subdomain).executeTakeFirst();
    if (taken) throw new SitepubError('ALREADY_EXISTS', `Subdomain "${subdomain}" is taken`, { field: 'subdomain' });
    // Two instances creating one subdomain at once both pass the check; the unique constraint decides.
    await unlessTaken(this.db.insertInto('projects').values(row).execute(), () => new SitepubError('ALREADY_EXISTS', `Subdomain "${subdomain}" is taken`, { field: 'subdomain' }));
    return this.toProject(row);
  }

  async list(): Promise<Project[]> {
    const q = (this.listQuery ??= this.db.selectFrom('projects').select(['id', 'name', 'subdomain', 'created_at']).orderBy('created_at').orderBy('id').compile());
    const rows = (this.sqlDb && syncRead(this.sqlDb, q)) || (await this.db.executeQuery(q)).rows;
    return rows.map((r) => this.toProject(r));
  }

  async get(id: string): Promise<Project> {
    const cached = this.byId.get(id);
    if (cached) return cached;
    const row = await this.db.selectFrom('projects').select(['id', 'name', 'subdomain', 'created_at']).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(`Project "${id}"`);
    return this.toProject(row);
  }

  /** The in-memory answer only (the site hot path); undefined means "ask findBySubdomain". */
  cachedBySubdomain(subdomain: string): Project | undefined {
    return this.bySubdomain.get(subdomain);
  }

  async findBySubdomain(subdomain: string): Promise<Project | undefined> {
    const cached = this.bySubdomain.get(subdomain);
    if (cached) return cached;
    const row = await this.db.selectFrom('projects').select(['id', 'name', 'subdomain', 'created_at']).where('subdomain', '=', subdomain).executeTakeFirst();
    return row ? this.toProject(row) : undefined;
  }

  async issueToken(opts: { projectId: string | null; scope?: Scope; label?: string }): Promise<IssuedToken> {
    if (opts.projectId) await this.get(opts.projectId);
    const kind = opts.projectId ? 'project' : 'account';
    const token = mintToken(kind);
    const id = newId('tok');
    const scope = opts.scope ?? 'write';
    await this.db
      .insertInto('api_tokens')
      .values({
        id,
        project_id: opts.projectId,
        kind,
        scope,
        token_hash: tokenHash(token),
        token_prefix: tokenDisplayPrefix(token),
        label: opts.label ?? null,
        created_at: this.clock.now().toISOString(),
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
    return { token, token_id: id, token_prefix: tokenDisplayPrefix(token), project_id: opts.projectId, scope };
  }

  /** Revokes by token id, by the full token, or by its display prefix when that is unambiguous. */
  async revokeToken(ref: string): Promise<{ token_id: string }> {
    const q = this.db.selectFrom('api_tokens').select(['id', 'revoked_at']);
    const rows = await (ref.startsWith('tok_')
      ? q.where('id', '=', ref)
      : isWellFormedToken(ref, 'project') || isWellFormedToken(ref, 'account')
        ? q.where('token_hash', '=', tokenHash(ref))
        : q.where('token_prefix', '=', ref.slice(0, 10))
    ).execute();
    if (rows.length === 0) throw notFound(`API token "${ref.slice(0, 12)}"`);
    if (rows.length > 1) throw invalid('That prefix matches several tokens; pass the token id (tok_...)');
    const id = rows[0]!.id;
    await this.db.updateTable('api_tokens').set({ revoked_at: this.clock.now().toISOString() }).where('id', '=', id).execute();
    return { token_id: id };
  }

  async listTokens(projectId?: string): Promise<Array<Omit<IssuedToken, 'token'> & { revoked_at: string | null; created_at: string }>> {
    let q = this.db.selectFrom('api_tokens').select(['id', 'token_prefix', 'project_id', 'scope', 'revoked_at', 'created_at']);
    if (projectId) q = q.where('project_id', '=', projectId);
    const rows = await q.orderBy('created_at').execute();
    return rows.map((r) => ({ token_id: r.id, token_prefix: r.token_prefix, project_id: r.project_id, scope: r.scope, revoked_at: r.revoked_at, created_at: r.created_at }));
  }

  /** Resolves a bearer token to an actor, or throws UNAUTHORIZED. Never logs or stores the token. */
  async authenticate(token: string | undefined): Promise<Actor> {
    if (!token || !(isWellFormedToken(token, 'project') || isWellFormedToken(token, 'account'))) {
      throw new SitepubError('UNAUTHORIZED', 'Missing or malformed API token. Send "Authorization: Bearer spp_..." with a token from `sitepub token create`.');
    }
    const row = await this.db
      .selectFrom('api_tokens')
      .select(['id', 'project_id', 'kind', 'scope', 'revoked_at'])
      .where('token_hash', '=', tokenHash(token))
      .executeTakeFirst();
    if (!row || row.revoked_at) throw new SitepubError('UNAUTHORIZED', 'Unknown or revoked API token.');
    return { kind: row.kind, projectId: row.project_id, scope: row.scope, tokenId: row.id };
  }

  /**
   * The one authorization check: resolves the project a call acts on and checks the actor covers it
   * and may do the operation. A project the credential does not cover is UNAUTHORIZED, so a token cannot probe which project ids exist (docs/errors.md).
   */
  async authorize(actor: Actor, requested: string | undefined, defaultProjectId: string | undefined, write: boolean): Promise<Project> {
    // Scope first: a read-only credential learns nothing about which project a write would reach.
    if (write && actor.scope !== 'write') {
      throw new SitepubError('FORBIDDEN', 'This token is read-only; use a token with write scope for changes.');
    }
    const id = requested ?? (actor.kind === 'project' ? actor.projectId! : defaultProjectId);
    if (!id) {
      const all = await this.list();
      if (all.length === 1) return all[0]!;
      throw invalid(
        all.length === 0
          ? 'There is no project yet. Create one with `sitepub project create --name NAME`.'
          : `Several projects exist; pass project_id (one of: ${all.slice(0, 10).map((p) => p.id).join(', ')}).`,
        { field: 'project_id' },
      );
    }
    if (actor.kind === 'project' && actor.projectId !== id) {
      throw new SitepubError('UNAUTHORIZED', `This token is for project ${actor.projectId}, not ${id}.`);
    }
    const project = await this.get(id).catch((e: unknown) => {
      if (actor.kind === 'project') throw new SitepubError('UNAUTHORIZED', `Project ${id} is not covered by this token.`);
      throw e;
    });
    return project;
  }
}

export function slugify(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-');
  return trimChar(trimChar(s, '-').slice(0, 40), '-', 'end') || 'site';
}
