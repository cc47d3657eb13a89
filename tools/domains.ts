import * as s from '../schemas/domains.js';
import { ADDITIVE, DESTRUCTIVE, READ, defineTool } from './define.js';

export const DOMAINS_ADD = 'domains_add';
export const DOMAINS_VERIFY = 'domains_verify';
export const DOMAINS_LIST = 'domains_list';
export const DOMAINS_REMOVE = 'domains_remove';

const BASE = '/papi/project/:project_id/domains';

/** A site's own domains (src/core/domains): claimed, proven by a DNS TXT record, then served. */
export const domainTools = [
  defineTool({
    name: DOMAINS_ADD,
    title: 'Add custom domain',
    description:
      'Starts serving this site on a domain the user owns, e.g. "www.example.com". Returns status "pending" and a TXT record (txt_name, txt_value) ' +
      'that the user must create at their DNS provider; then call domains_verify. Tell the user to also point the domain at this server ' +
      '(A/AAAA record, or CNAME to the server\'s host name). Adding a domain the site already has returns it unchanged. ' +
      'Errors: VALIDATION_ERROR (not a bare domain name, the platform\'s own domain, or more than 20 domains), ALREADY_EXISTS (verified for another site: remove it there first).',
    toolset: 'pages',
    input: s.domainsAddInput,
    output: s.domainsAddOutput,
    annotations: { ...ADDITIVE, idempotentHint: true },
    rest: { method: 'POST', path: BASE, status: 201 },
    handler: ({ core, project }, a) => core.domains.add(project, a.domain),
  }),
  defineTool({
    name: DOMAINS_VERIFY,
    title: 'Verify custom domain',
    description:
      'Looks up the domain\'s TXT record (from domains_add). When found, the domain is verified and the site serves on it at once (status "verified"). ' +
      'When not found yet, returns status "pending", found: false and a message saying what to create (DNS changes can take minutes to an hour); ' +
      'call it again later rather than in a loop. Errors: NOT_FOUND (not one of this site\'s domains: call domains_add first), VALIDATION_ERROR (the DNS lookup failed: try again later).',
    toolset: 'pages',
    input: s.domainsVerifyInput,
    output: s.domainsVerifyOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    rest: { method: 'POST', path: `${BASE}/:domain/verify` },
    handler: ({ core, project }, a) => core.domains.verify(project, a.domain),
  }),
  defineTool({
    name: DOMAINS_LIST,
    title: 'List custom domains',
    description: 'Lists this site\'s custom domains with their status (pending or verified) and the TXT record each needs. Read-only.',
    toolset: 'pages',
    input: s.domainsListInput,
    output: s.domainsListOutput,
    annotations: READ,
    rest: { method: 'GET', path: BASE },
    handler: ({ core, project }) => core.domains.list(project),
  }),
  defineTool({
    name: DOMAINS_REMOVE,
    title: 'Remove custom domain',
    description:
      'Stops serving this site on a custom domain and forgets it (to use it again, domains_add and verify anew). The site stays at its own address. ' +
      'Errors: NOT_FOUND (not one of this site\'s domains: see domains_list).',
    toolset: 'pages',
    input: s.domainsRemoveInput,
    output: s.domainsRemoveOutput,
    annotations: DESTRUCTIVE,
    rest: { method: 'DELETE', path: `${BASE}/:domain` },
    handler: ({ core, project }, a) => core.domains.remove(project, a.domain),
  }),
];
