import { randomBytes } from 'node:crypto';
import { resolveTxt } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import type { Kysely, Selectable } from 'kysely';
import type { Database, SiteDomainTable } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import type { UrlConfig } from '../config.js';
import { invalid, SitepubError } from '../errors.js';
import type { Project, ProjectService } from '../projects.js';

/** Looks up the TXT records at a name: each record as its strings (a long record comes in chunks). */
export type TxtResolver = (name: string) => Promise<string[][]>;

/** The system's DNS: not found (ENOTFOUND, ENODATA) is no records, not an error. */
export const dnsTxt: TxtResolver = async (name) => {
  try {
    return await resolveTxt(name);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
    throw e;
  }
};

/**
 * For tests only (SITEPUB_DNS_TXT_FILE): a JSON file `{"<txt_name>": ["<txt_value>", ...]}`, read
 * at each lookup, answered instead of DNS.
 */
export function fileTxt(path: string): TxtResolver {
  return async (name) => {
    const all = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    const v = all[name];
    return Array.isArray(v) ? v.map((s) => [String(s)]) : [];
  };
}

/** A domain as the tools answer it: its row without the project, and the site's URL on it. */
export type DomainInfo = Omit<SiteDomainTable, 'project_id'> & { url: string };

/** How often an instance re-reads the verified domains (another instance may have verified one). */
export const DOMAIN_REFRESH_MS = 15_000;
const MAX_DOMAINS_PER_PROJECT = 20;
export const TXT_PREFIX = '_sitepub-challenge';

/**
 * Custom domains: a project claims a domain, proves control with a DNS TXT record, and the site then
 * serves on that Host. The router asks `subdomainFor(host)`, an in-memory map of verified domains
 * (refreshed from the database every DOMAIN_REFRESH_MS and at once after a change here), so the
 * hot path stays a map lookup.
 */
export class DomainService {
  private verified = new Map<string, string>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly urls: UrlConfig,
    private readonly projects: ProjectService,
    private readonly txt: TxtResolver = dnsTxt,
  ) {}

  /** Loads the verified domains and keeps them fresh: what a server that answers sites calls once. */
  async start(): Promise<void> {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refresh().catch(() => {}), DOMAIN_REFRESH_MS);
    this.timer.unref();
    await this.refresh().catch(() => {});
  }

  /** The subdomain of the project a verified custom domain serves, from memory. */
  subdomainFor(host: string): string | undefined {
    return this.verified.get(host);
  }

  /** Re-reads the verified domains (the timer does this; tests and changes here call it directly). */
  async refresh(): Promise<void> {
    const rows = await this.db
      .selectFrom('site_domains')
      .innerJoin('projects', 'projects.id', 'site_domains.project_id')
      .select(['site_domains.domain', 'projects.subdomain'])
      .where('site_domains.status', '=', 'verified')
      .execute();
    this.verified = new Map(rows.map((r) => [r.domain, r.subdomain]));
  }

  close(): void {
    clearInterval(this.timer);
  }

  private info(r: Selectable<SiteDomainTable>): DomainInfo {
    return { domain: r.domain, status: r.status, txt_name: r.txt_name, txt_value: r.txt_value, created_at: r.created_at, verified_at: r.verified_at, checked_at: r.checked_at, url: `https://${r.domain}/` };
  }

  /** A host name as stored: lower case, IDN as punycode, no trailing dot; refused when it cannot be a custom domain. */
  normalize(raw: string): string {
    const trimmed = raw.trim().replace(/\.$/, '');
    if (/[/:@?#\s]/.test(trimmed)) throw invalid(`"${raw}" is not a bare domain name: give only the host, e.g. "www.example.com" (no https://, path or port).`, { field: 'domain' });
    const d = domainToASCII(trimmed.toLowerCase());
    if (!d || d.length > 253 || isIP(d) || !d.includes('.') || !d.split('.').every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l)) || /^[0-9]+$/.test(d.slice(d.lastIndexOf('.') + 1))) {
      throw invalid(`"${raw}" is not a valid domain name, e.g. "www.example.com".`, { field: 'domain' });
    }
    const site = this.urls.siteDomain.toLowerCase();
    const platform = new URL(this.urls.publicUrl).hostname.toLowerCase();
    if (d === site || d.endsWith(`.${site}`) || d === platform || d === 'localhost' || d.endsWith('.localhost')) {
      throw invalid(`"${d}" is this platform's own domain; sites already have their address there. Give a domain you own, e.g. "www.example.com".`, { field: 'domain' });
    }
    return d;
  }

  async add(project: Project, raw: string): Promise<DomainInfo> {
    const domain = this.normalize(raw);
    const existing = await this.db.selectFrom('site_domains').selectAll().where('domain', '=', domain).executeTakeFirst();
    if (existing?.project_id === project.id) return this.info(existing);
    if (existing?.status === 'verified') throw new SitepubError('ALREADY_EXISTS', `"${domain}" is already verified for another site. Remove it there first (domains_remove).`, { field: 'domain' });
    const count = await this.db.selectFrom('site_domains').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', project.id).executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_DOMAINS_PER_PROJECT) throw invalid(`A site can have at most ${MAX_DOMAINS_PER_PROJECT} custom domains; remove one with domains_remove first.`, { field: 'domain' });
    const row: Selectable<SiteDomainTable> = {
      domain,
      project_id: project.id,
      status: 'pending',
      txt_name: `${TXT_PREFIX}.${domain}`,
      txt_value: `sitepub-verify=${randomBytes(18).toString('base64url')}`,
      created_at: this.clock.now().toISOString(),
      verified_at: null,
      checked_at: null,
    };
    // A pending claim of another project gives way: only whoever controls the DNS can verify, so a claim left pending cannot hold a domain hostage.
    if (existing) await this.db.deleteFrom('site_domains').where('domain', '=', domain).where('status', '=', 'pending').execute();
    await this.db.insertInto('site_domains').values(row).execute();
    return this.info(row);
  }

  private async own(project: Project, raw: string): Promise<Selectable<SiteDomainTable>> {
    const domain = this.normalize(raw);
    const row = await this.db.selectFrom('site_domains').selectAll().where('domain', '=', domain).where('project_id', '=', project.id).executeTakeFirst();
    if (!row) throw new SitepubError('NOT_FOUND', `Domain "${domain}" is not one of this site's domains. Call domains_list to see them, or domains_add to add it.`, { field: 'domain' });
    return row;
  }

  /** Looks for the TXT record; when found the domain is verified and serves at once. Not finding it is a result, not an error. */
  async verify(project: Project, raw: string): Promise<DomainInfo & { found: boolean; message: string }> {
    const row = await this.own(project, raw);
    const now = this.clock.now().toISOString();
    let records: string[][];
    try {
      records = await this.txt(row.txt_name);
    } catch (e) {
      throw new SitepubError('VALIDATION_ERROR', `The DNS lookup of ${row.txt_name} failed (${(e as { code?: string }).code ?? 'error'}). Try domains_verify again in a few minutes.`, { field: 'domain' });
    }
    const found = records.some((chunks) => chunks.join('').trim() === row.txt_value);
    if (found && row.status !== 'verified') {
      await this.db.updateTable('site_domains').set({ status: 'verified', verified_at: now, checked_at: now }).where('domain', '=', row.domain).execute();
      await this.refresh();
    } else await this.db.updateTable('site_domains').set({ checked_at: now }).where('domain', '=', row.domain).execute();
    const after = await this.own(project, row.domain);
    const message = after.status === 'verified'
      ? `Verified: ${row.domain} serves this site now (point its A/AAAA or CNAME record at this server; HTTPS comes from the proxy in front, e.g. Caddy with on-demand TLS).`
      : `Not found yet: create a TXT record named ${row.txt_name} with the value ${row.txt_value}, then call domains_verify again (DNS changes can take minutes to an hour).` + (records.length ? ` Found instead: ${records.map((r) => JSON.stringify(r.join(''))).join(', ')}.` : '');
    return { ...this.info(after), found, message };
  }

  async list(project: Project): Promise<{ domains: DomainInfo[] }> {
    const rows = await this.db.selectFrom('site_domains').selectAll().where('project_id', '=', project.id).orderBy('domain').execute();
    return { domains: rows.map((r) => this.info(r)) };
  }

  async remove(project: Project, raw: string): Promise<{ domain: string; removed: true }> {
    const row = await this.own(project, raw);
    await this.db.deleteFrom('site_domains').where('domain', '=', row.domain).execute();
    await this.refresh();
    return { domain: row.domain, removed: true };
  }

  /** For a TLS proxy's on-demand certificates (Caddy's `ask`): whether this host is a verified domain or an existing site's subdomain. */
  async allowsCertificate(host: string): Promise<boolean> {
    const h = host.trim().toLowerCase().replace(/\.$/, '');
    const v = await this.db.selectFrom('site_domains').select('domain').where('domain', '=', h).where('status', '=', 'verified').executeTakeFirst();
    if (v) return true;
    const suffix = `.${this.urls.siteDomain.toLowerCase()}`;
    if (!h.endsWith(suffix)) return false;
    const sub = h.slice(0, -suffix.length);
    return !sub.includes('.') && (await this.projects.findBySubdomain(sub)) !== undefined;
  }
}
