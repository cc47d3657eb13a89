import * as z from 'zod';
import { projectId } from './common.js';

const domain = z.string().min(1).max(253).describe('A domain you own, as a bare host name, e.g. "www.example.com" or "example.com" (no https://, path or port).');

export const domainInfo = z.object({
  domain: z.string(),
  status: z.enum(['pending', 'verified']).describe('"pending" until the TXT record is found; "verified": the site serves on this domain'),
  txt_name: z.string().describe('Name of the DNS TXT record to create, e.g. _sitepub-challenge.www.example.com'),
  txt_value: z.string().describe('Exact value of that TXT record'),
  created_at: z.string(),
  verified_at: z.string().nullable(),
  checked_at: z.string().nullable().describe('When domains_verify last looked'),
  url: z.string().describe('The site\'s address on this domain once verified and pointed at the server'),
});

export const domainsAddInput = z.strictObject({ project_id: projectId, domain });
export const domainsAddOutput = domainInfo;

export const domainsVerifyInput = z.strictObject({ project_id: projectId, domain });
export const domainsVerifyOutput = domainInfo.extend({
  found: z.boolean().describe('Whether the TXT record was found in this check'),
  message: z.string().describe('What happened and what to do next'),
});

export const domainsListInput = z.strictObject({ project_id: projectId });
export const domainsListOutput = z.object({ domains: z.array(domainInfo) });

export const domainsRemoveInput = z.strictObject({ project_id: projectId, domain });
export const domainsRemoveOutput = z.object({ domain: z.string(), removed: z.literal(true) });
