import * as s from '../schemas/file-downloads.js';
import { ADDITIVE, READ, defineTool } from './define.js';

export const FD_GENERATE_TOKEN = 'file-downloads_generate_token';
export const FD_VERIFY_TOKEN = 'file-downloads_verify_token';
export const FD_LIST_DOWNLOADS = 'file-downloads_list_downloads';
export const FD_REVOKE_TOKEN = 'file-downloads_revoke_token';
export const FD_GET_STATS = 'file-downloads_get_stats';
export const FD_UPDATE_TOKEN = 'file-downloads_update_token';
export const FD_LIST_ATTEMPTS = 'file-downloads_list_attempts';

const BASE = '/iapi/project/:project_id/file-downloads';

export const downloadTools = [
  defineTool({
    name: FD_GENERATE_TOKEN,
    title: 'Create download link',
    description:
      'Creates a secure download link for a file of this project, e.g. a PDF sold to a customer: it works max_uses times (default 1, 0 = unlimited) ' +
      'until it expires (default 24 hours, 0 = never). First upload the file with assets_upload and private: true, then pass its path as asset_url; ' +
      'or pass asset_urls (2 to 50 paths) to sell a bundle: one link, one ZIP, one use. stamp draws a footer naming the buyer on every page of the PDF(s) at download time. ' +
      'Give the returned download_url to the buyer; the token is shown only once. Use require_confirmation for links sent by email. ' +
      'Errors: NOT_FOUND (no such asset: upload it first; field names which), VALIDATION_ERROR (asset_url of another site, a bundle file listed twice, ' +
      'a stamp placeholder without a value: add it to metadata or visitor_id), UNSUPPORTED_MEDIA_TYPE (a PDF that cannot be stamped, e.g. encrypted: leave stamp out).',
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
      'Do not call it just to look at a token: use file-downloads_list_downloads. ip is the buyer\'s address, only recorded. ' +
      'Errors: TOKEN_INVALID (unknown), TOKEN_EXPIRED, TOKEN_EXHAUSTED (no uses left), TOKEN_REVOKED, TOKEN_WRONG_VISITOR (pass the bound visitor_id), ' +
      'NOT_FOUND (the file is gone: nothing was used; upload it again at the same path); file-downloads_update_token gives the buyer more uses or time. ' +
      'RATE_LIMITED (more than 300 unknown tokens a minute with this credential): wait retry_after seconds.',
    toolset: 'downloads',
    input: s.verifyTokenInput,
    output: s.verifyTokenOutput,
    annotations: ADDITIVE,
    rest: { method: 'POST', path: `${BASE}/verify-token` },
    handler: ({ core, project, credential }, a) => core.downloads.verify(project, a, credential),
  }),
  defineTool({
    name: FD_LIST_DOWNLOADS,
    title: 'List download links',
    description:
      'Lists download tokens newest first with their status (active, expired, exhausted, revoked), use_count, remaining_uses, last download time, ' +
      'metadata, stamp, a bundle\'s asset_urls and token_id (never the secret token). Filter by status, asset_url (bundles holding it included) or visitor_id; ' +
      'page with limit/offset. Read-only.',
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
      'successful downloads, the top files, refused attempts per reason (refusals), and per day downloads and refusals (only days with activity; ' +
      'every_day: true lists every day). To see the refused attempts themselves, call file-downloads_list_attempts with outcome "refused". Read-only.',
    toolset: 'downloads',
    input: s.getStatsInput,
    output: s.getStatsOutput,
    annotations: READ,
    rest: { method: 'GET', path: `${BASE}/get-stats` },
    handler: ({ core, project }, a) => core.downloads.stats(project, a.days ?? 30, a.every_day ?? false),
  }),
  defineTool({
    name: FD_UPDATE_TOKEN,
    title: 'Change download link',
    description:
      'Fixes a buyer\'s link in one call: add_uses (e.g. 1 when a download failed), max_uses, a new expiry from now (expires_in_hours or expires_in_minutes; ' +
      'revives an expired link), or reset_use_count. The link and its token stay the same; the change is recorded in the attempt log (outcome "updated"). ' +
      'Find the token_id with file-downloads_list_downloads (filter by visitor_id or asset_url) or file-downloads_list_attempts. ' +
      'Errors: TOKEN_INVALID (no such token_id in this project), TOKEN_REVOKED (revoked links stay revoked: generate a new one), ' +
      'VALIDATION_ERROR (nothing to change, add_uses with max_uses, add_uses on an unlimited link).',
    toolset: 'downloads',
    input: s.updateTokenInput,
    output: s.updateTokenOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    rest: { method: 'POST', path: `${BASE}/update-token` },
    handler: ({ core, project }, a) => core.downloads.update(project, a),
  }),
  defineTool({
    name: FD_LIST_ATTEMPTS,
    title: 'List download attempts',
    description:
      'Lists attempts on this project\'s download links, newest first: downloads ("ok"), resumed downloads ("range"), looks ("head", "preview"), ' +
      'changes ("updated") and every refusal with its reason (the refusal\'s error type: expired, used up, revoked, wrong visitor, file missing), ' +
      'with time, truncated address (/24 or /48), visitor id and user agent. Use it when a buyer says a link does not work: filter by token_id or visitor_id, ' +
      'or outcome "refused"; then file-downloads_update_token can fix the link. Errors: VALIDATION_ERROR (since is not an ISO time). Read-only.',
    toolset: 'downloads',
    input: s.listAttemptsInput,
    output: s.listAttemptsOutput,
    annotations: READ,
    rest: { method: 'GET', path: `${BASE}/list-attempts` },
    handler: ({ core, project }, a) => core.downloads.attempts(project, a),
  }),
];
