import * as s from '../schemas/file-downloads.js';
import { ADDITIVE, READ, defineTool } from './define.js';

export const FD_GENERATE_TOKEN = 'file-downloads_generate_token';
export const FD_VERIFY_TOKEN = 'file-downloads_verify_token';
export const FD_LIST_DOWNLOADS = 'file-downloads_list_downloads';
export const FD_REVOKE_TOKEN = 'file-downloads_revoke_token';
export const FD_GET_STATS = 'file-downloads_get_stats';

const BASE = '/iapi/project/:project_id/file-downloads';

export const downloadTools = [
  defineTool({
    name: FD_GENERATE_TOKEN,
    title: 'Create download link',
    description:
      'Creates a secure download link for one file of this project, e.g. a PDF sold to a customer: it works max_uses times (default 1, 0 = unlimited) ' +
      'until it expires (default 24 hours, 0 = never). First upload the file with assets_upload and private: true, then pass its path as asset_url. ' +
      'Give the returned download_url to the buyer; the token is shown only once. Use require_confirmation for links sent by email. ' +
      'Errors: NOT_FOUND (no such asset: upload it first), VALIDATION_ERROR (asset_url of another site, bad option).',
    toolset: 'downloads',
    input: s.generateTokenInput,
    output: s.generateTokenOutput,
    annotations: ADDITIVE,
    rest: { method: 'POST', path: `${BASE}/generate-token`, status: 201 },
    handler: ({ core, project }, a) => core.downloads.generate(project, a),
  }),
  defineTool({
    name: FD_VERIFY_TOKEN,
    title: 'Use download token',
    description:
      'Checks a download token and consumes one use, as a download would; for your own delivery flows (the download_url link already does this itself). ' +
      'Do not call it just to look at a token: use file-downloads_list_downloads. Errors: TOKEN_INVALID (unknown), TOKEN_EXPIRED, TOKEN_EXHAUSTED (no uses left), ' +
      'TOKEN_REVOKED, TOKEN_WRONG_VISITOR (pass the bound visitor_id); generate a new token to give the buyer access again.',
    toolset: 'downloads',
    input: s.verifyTokenInput,
    output: s.verifyTokenOutput,
    annotations: ADDITIVE,
    rest: { method: 'POST', path: `${BASE}/verify-token` },
    handler: ({ core, project, client }, a) => core.downloads.verify(project, a, client),
  }),
  defineTool({
    name: FD_LIST_DOWNLOADS,
    title: 'List download links',
    description:
      'Lists download tokens newest first with their status (active, expired, exhausted, revoked), use_count, remaining_uses, last download time, ' +
      'metadata and token_id (never the secret token). Filter by status, asset_url or visitor_id; page with limit/offset. Read-only.',
    toolset: 'downloads',
    input: s.listDownloadsInput,
    output: s.listDownloadsOutput,
    annotations: READ,
    rest: { method: 'GET', path: `${BASE}/list-downloads` },
    handler: ({ core, project }, a) => core.downloads.list(project, a),
  }),
  defineTool({
    name: FD_REVOKE_TOKEN,
    title: 'Revoke download link',
    description:
      'Permanently disables a download link, by token or by token_id (from list_downloads). Irreversible; revoking twice is harmless. ' +
      'Errors: TOKEN_INVALID if no such token exists in this project.',
    toolset: 'downloads',
    input: s.revokeTokenInput,
    output: s.revokeTokenOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    rest: { method: 'POST', path: `${BASE}/revoke-token` },
    handler: ({ core, project }, a) => core.downloads.revoke(project, a),
  }),
  defineTool({
    name: FD_GET_STATS,
    title: 'Download statistics',
    description:
      'Download statistics over the last `days` days (default 30, today included): tokens generated and how many are active, expired, exhausted or revoked, ' +
      'successful downloads, the top files and downloads per day. Read-only.',
    toolset: 'downloads',
    input: s.getStatsInput,
    output: s.getStatsOutput,
    annotations: READ,
    rest: { method: 'GET', path: `${BASE}/get-stats` },
    handler: ({ core, project }, a) => core.downloads.stats(project, a.days ?? 30),
  }),
];
