#!/usr/bin/env node
// Writes docs/tools.md from the tool definitions as built in dist/ (run `npm run build` first):
// names, titles, descriptions, annotations, REST routes and the JSON Schemas clients see. The
// errors each tool can return are listed below by hand (they live in the core, not in the
// definitions); the script refuses to run when that list names an unknown type, misses a tool, or
// leaves out a type that the tool's own description names.
//
//   node scripts/gen-tool-docs.mjs           rewrite docs/tools.md
//   node scripts/gen-tool-docs.mjs --check   exit 1 if docs/tools.md differs from what the code gives
//
// test/docs-spec.test.ts runs the check.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(root, 'docs/tools.md');
const load = (p) => import(new URL(`../dist/${p}`, import.meta.url).href);

const { ALL_TOOLS } = await load('tools/index.js');
const { jsonSchemaOf } = await load('tools/json-schema.js');
const { ERROR_STATUS } = await load('src/core/errors.js');
const { MAX_JSON_DEPTH } = await load('schemas/common.js');
const { MAX_PAGE_META_BYTES } = await load('schemas/pages.js');
const { MAX_TOKEN_METADATA_BYTES } = await load('schemas/file-downloads.js');
const { ASSET_KINDS } = await load('src/core/asset-types.js');
const { DEFAULT_LIMITS } = await load('src/core/config.js');

const PAGE_LIMIT = `${DEFAULT_LIMITS.pageBytes / 1048576} MB (${DEFAULT_LIMITS.pageBytes} bytes of UTF-8)`;

/**
 * Errors a tool can return besides the ones every tool can (see COMMON), each with when. Read from
 * the core (src/core/*.ts) and the handlers; keep in step with them.
 */
const ERRORS = {
  project_status: {},
  pages_list: {},
  pages_get: { NOT_FOUND: 'no page has this slug', VALIDATION_ERROR: 'invalid slug' },
  pages_create: {
    ALREADY_EXISTS: 'a page or an asset already uses the path (also when another write claims it at the same moment)',
    PAYLOAD_TOO_LARGE: `content over ${PAGE_LIMIT}`,
    VALIDATION_ERROR: 'invalid slug, meta or seo',
  },
  pages_update: {
    NOT_FOUND: 'no page has this slug',
    VERSION_CONFLICT: '`base_version_hash` is not the current hash (`current_version_hash` in the error); without it, only if five re-reads in a row lose to concurrent writes',
    PAYLOAD_TOO_LARGE: `content over ${PAGE_LIMIT}`,
    VALIDATION_ERROR: 'invalid slug, meta or seo',
  },
  pages_patch: {
    NOT_FOUND: 'no page has this slug',
    VERSION_CONFLICT: '`base_version_hash` is not the current hash, or another write landed first (`current_version_hash` in the error)',
    PATCH_FIND_NOT_FOUND: 'a `find` occurs nowhere at its point (`patch_index`, `matches: 0`)',
    PATCH_FIND_AMBIGUOUS: 'a `find` occurs more than once (`patch_index`, `matches`, capped at 1000)',
    PAYLOAD_TOO_LARGE: `the patched content would be over ${PAGE_LIMIT}`,
    VALIDATION_ERROR: 'a `replace` operation without `replace` (`patch_index`), invalid slug',
  },
  pages_delete: { NOT_FOUND: 'no page has this slug' },
  pages_versions: { NOT_FOUND: 'no page has this slug' },
  pages_rollback: {
    NOT_FOUND: 'no such page, or no such version of it',
    VALIDATION_ERROR: 'not exactly one of `target_version` and `target_version_hash`',
    VERSION_CONFLICT: 'only if five re-reads in a row lose to concurrent writes',
  },
  pages_bulk_create: {
    ALREADY_EXISTS: 'as `pages_create`; the error has `index`, nothing is created',
    PAYLOAD_TOO_LARGE: 'as `pages_create`, with `index`',
    VALIDATION_ERROR: 'as `pages_create` with `index`, or one slug twice in the request',
  },
  assets_list: {},
  assets_get: { NOT_FOUND: 'no asset has this slug', VALIDATION_ERROR: 'invalid slug', PAYLOAD_TOO_LARGE: 'the file is over 5 MB: too large to answer as base64; details carry `url` (public) or `use_tool` + `asset_url` (private)' },
  assets_upload: {
    ALREADY_EXISTS: 'the slug exists and `overwrite` is not true, or a page uses the path',
    UNSUPPORTED_MEDIA_TYPE: 'the extension is not allowed (`allowed` lists them), or the bytes do not match it',
    PAYLOAD_TOO_LARGE: "over the type's size limit (`max_bytes`), or over the project's storage quota (`quota_bytes`, `used_bytes`, `needed_bytes`)",
    SOURCE_URL_BLOCKED: '`source_url` is not public http(s): loopback, private, link-local or metadata address (also after DNS and redirects), credentials in the URL, a local host name',
    SOURCE_URL_FAILED: 'the download failed: DNS, connection, non-2xx status, more than 3 redirects, timeout',
    VALIDATION_ERROR: 'not exactly one of `content`, `content_text`, `source_url`, `file_path`; bad base64; empty file; `content_text` for a binary type; invalid slug or URL; `file_path` not absolute, or a folder',
    FORBIDDEN: '`file_path` over HTTP or REST (it is for a local sitepub over stdio), or outside the client\'s MCP roots and the `--allow-dir` folders after symlinks are resolved (`allowed_folders`)',
    NOT_FOUND: 'no file at `file_path` (inside the allowed folders)',
  },
  assets_delete: { NOT_FOUND: 'no asset has this slug' },
  assets_bulk_upload: {
    ALREADY_EXISTS: 'as `assets_upload`, with `index`; nothing is stored',
    UNSUPPORTED_MEDIA_TYPE: 'as `assets_upload`, with `index`',
    PAYLOAD_TOO_LARGE: 'as `assets_upload`, with `index`; a batch that cannot fit the quota stops before fetching more',
    SOURCE_URL_BLOCKED: 'as `assets_upload`, with `index`',
    SOURCE_URL_FAILED: 'as `assets_upload`, with `index`',
    VALIDATION_ERROR: 'as `assets_upload` with `index`, or one slug twice in the request',
  },
  assets_create_upload_url: {
    ALREADY_EXISTS: 'the slug exists and `overwrite` is not true, or a page uses the path (checked again when the file arrives)',
    UNSUPPORTED_MEDIA_TYPE: 'the extension is not allowed, or a type for sale without `private: true`; from the `PUT`: the bytes do not match the extension',
    VALIDATION_ERROR: 'invalid slug; from the `PUT`: an empty file, text that is not UTF-8, a transfer cut off',
    PAYLOAD_TOO_LARGE: 'from the `PUT`: over `max_bytes` (by `Content-Length`, or while streaming) or over the storage quota; nothing is stored',
    TOKEN_EXPIRED: 'from the `PUT`: more than 15 minutes after the URL was made',
    TOKEN_EXHAUSTED: 'from the `PUT`: the URL stored a file already, or an upload through it is under way',
    TOKEN_INVALID: 'from the `PUT`: no such upload URL',
  },
  'file-downloads_generate_token': {
    NOT_FOUND: 'no asset at `asset_url` (or at one of `asset_urls`: `field` names it) in this project',
    VALIDATION_ERROR: '`asset_url` on another host or malformed; not exactly one of `asset_url` and `asset_urls`; a file listed twice; `expiration_redirect_url` not absolute http(s); a `stamp` placeholder that is unknown or has no value on the link (`{visitor_id}` without `visitor_id`, `{metadata.KEY}` without that key), a `stamp` on a link without a PDF; out-of-range numbers',
    UNSUPPORTED_MEDIA_TYPE: 'a PDF that cannot be stamped (encrypted or damaged)',
    PAYLOAD_TOO_LARGE: 'a `stamp` on a PDF over 32 MB (stamping reads the whole document)',
  },
  'file-downloads_verify_token': {
    TOKEN_INVALID: 'malformed token, or no token of this project matches',
    TOKEN_REVOKED: 'revoked (checked first)',
    TOKEN_EXPIRED: 'past `expires_at`',
    TOKEN_EXHAUSTED: '`use_count` reached `max_uses`',
    TOKEN_WRONG_VISITOR: 'the token is bound to a visitor and `visitor_id` differs or is missing',
    NOT_FOUND: 'the file (or a file of the bundle) does not exist now; nothing was used (`token_id`, `missing_asset_urls`)',
    RATE_LIMITED: 'more than 300 checks of unknown tokens within 60 s with this credential (`retry_after`); refusals of real tokens never count',
  },
  'file-downloads_list_downloads': { VALIDATION_ERROR: '`asset_url` on another host or malformed' },
  'file-downloads_revoke_token': {
    TOKEN_INVALID: 'no token of this project matches `token` or `token_id`',
    VALIDATION_ERROR: 'not exactly one of `token` and `token_id`',
  },
  'file-downloads_get_stats': {},
  'file-downloads_update_token': {
    TOKEN_INVALID: 'no token of this project has this `token_id`',
    TOKEN_REVOKED: 'the token is revoked (revocation is final)',
    VALIDATION_ERROR: 'nothing to change; `add_uses` with `max_uses`; `add_uses` on an unlimited token; out-of-range numbers',
  },
  'file-downloads_list_attempts': { VALIDATION_ERROR: '`since` is not an ISO 8601 time' },
  webhooks_set: { VALIDATION_ERROR: '`url` not an absolute http(s) URL or with credentials; an unknown event' },
  webhooks_delete: {},
  webhooks_list_deliveries: {},
  site_stats: {},
  site_check: {},
  pages_diff: { NOT_FOUND: 'no page with this slug, or no such version (see pages_versions)' },
  pages_preview: { NOT_FOUND: 'no page with this slug, or no such version', VALIDATION_ERROR: '`expires_in_hours` out of range' },
  domains_add: {
    VALIDATION_ERROR: 'not a bare domain name (no scheme, path or port), the platform\'s own domain, or over 20 domains on the site',
    ALREADY_EXISTS: 'the domain is verified for another site',
  },
  domains_verify: {
    NOT_FOUND: 'not one of this site\'s domains (domains_add first)',
    VALIDATION_ERROR: 'not a domain name; the DNS lookup failed (a record not found yet is a result, `found: false`)',
  },
  domains_list: {},
  domains_remove: { NOT_FOUND: 'not one of this site\'s domains', VALIDATION_ERROR: 'not a domain name' },
};

/** What any tool may answer, whatever it does. */
const COMMON = {
  VALIDATION_ERROR: 'an argument fails its schema (`field` names the first one); no `project_id` and no single default project',
  UNAUTHORIZED: "over HTTP: a missing, unknown or revoked token; a `project_id` a project token does not cover",
  FORBIDDEN: 'a write with a read-only token (REST; over MCP a read-only token does not list write tools at all)',
  NOT_FOUND: '`project_id` names no project (account token, stdio)',
  INTERNAL: 'anything unexpected; no detail reaches the caller',
};

const SAFE = 9007199254740991;
const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s) => `\`${s}\``;
const restPath = (p) => p.replace(/:([a-z_]+)(\{[^}]*\})?/g, '{$1}');

function typeOf(s) {
  if (!s || typeof s !== 'object') return 'any';
  if (s.anyOf) {
    const parts = s.anyOf.map(typeOf);
    const nonNull = parts.filter((p) => p !== 'null');
    return parts.includes('null') ? `${nonNull.join(' or ')} or null` : parts.join(' or ');
  }
  if ('const' in s) return code(JSON.stringify(s.const));
  if (s.enum) return s.enum.map((v) => code(JSON.stringify(v))).join(' or ');
  if (s.type === 'array') return `array of ${typeOf(s.items)}`;
  if (s.type === 'object') return s.properties ? 'object' : 'object (any JSON values)';
  if (Array.isArray(s.type)) return s.type.join(' or ');
  return s.type ?? 'any';
}

function limitsOf(s) {
  const out = [];
  const range = (lo, hi, unit) => {
    if (lo === 1 && hi === undefined && unit === ' chars') out.push('non-empty');
    else if (lo !== undefined && hi !== undefined) out.push(lo === hi ? `${lo}${unit}` : `${lo}–${hi}${unit}`);
    else if (lo !== undefined) out.push(`≥ ${lo}${unit}`);
    else if (hi !== undefined) out.push(`≤ ${hi}${unit}`);
  };
  const num = (v) => (v === undefined || Math.abs(v) >= SAFE ? undefined : v);
  range(s.minLength, s.maxLength, ' chars');
  range(num(s.minimum), num(s.maximum), '');
  range(s.minItems, s.maxItems, ' items');
  return out.join(', ');
}

/** Rows for the fields of an object schema, nested objects flattened as `parent[].child`. */
function rows(schema, prefix = '') {
  const out = [];
  const required = new Set(schema.required ?? []);
  for (const [name, s] of Object.entries(schema.properties ?? {})) {
    out.push({ name: `${prefix}${name}`, type: typeOf(s), required: required.has(name), limits: limitsOf(s), description: s.description ?? '' });
    const inner = s.type === 'array' ? s.items : s;
    if (inner?.type === 'object' && inner.properties) out.push(...rows(inner, `${prefix}${name}${s.type === 'array' ? '[]' : ''}.`));
  }
  return out;
}

function inputTable(schema) {
  const r = rows(schema);
  if (r.length === 0) return '_No arguments._';
  return [
    '| argument | type | required | limits | description |',
    '| --- | --- | --- | --- | --- |',
    ...r.map((x) => `| ${code(x.name)} | ${esc(x.type)} | ${x.required ? 'yes' : 'no'} | ${esc(x.limits)} | ${esc(x.description)} |`),
  ].join('\n');
}

function outputTable(schema) {
  return [
    '| field | type | always | description |',
    '| --- | --- | --- | --- |',
    ...rows(schema).map((x) => `| ${code(x.name)} | ${esc(x.type)} | ${x.required ? 'yes' : 'no'} | ${esc(x.description)} |`),
  ].join('\n');
}

function checkErrors() {
  const known = new Set(Object.keys(ERROR_STATUS));
  const problems = [];
  for (const t of ALL_TOOLS) {
    const listed = ERRORS[t.name];
    if (!listed) {
      problems.push(`${t.name}: no entry in ERRORS`);
      continue;
    }
    for (const type of Object.keys(listed)) if (!known.has(type)) problems.push(`${t.name}: unknown error type ${type}`);
    for (const m of t.description.matchAll(/\b[A-Z][A-Z_]{3,}[A-Z]\b/g)) {
      const named = m[0];
      if (known.has(named) && !(named in listed) && !(named in COMMON)) problems.push(`${t.name}: its description names ${named}, which ERRORS does not list`);
    }
  }
  for (const name of Object.keys(ERRORS)) if (!ALL_TOOLS.some((t) => t.name === name)) problems.push(`ERRORS lists ${name}, which is not a tool`);
  if (problems.length) throw new Error(`scripts/gen-tool-docs.mjs: ${problems.join('; ')}`);
}

const hint = (v) => (v ? 'yes' : 'no');

function render() {
  checkErrors();
  const lines = [];
  const p = (...l) => lines.push(...l);
  p(
    '# MCP tools',
    '',
    '<!-- Generated by `node scripts/gen-tool-docs.mjs` from the tool definitions (tools/*.ts, schemas/*.ts) as built in dist/. Do not edit by hand: change the code, run `npm run build`, then the script. test/docs-spec.test.ts fails while this file and the code differ. -->',
    '',
    `${ALL_TOOLS.length} tools, in the order \`tools/list\` gives them. Each is one definition (\`tools/*.ts\`) that is also a REST route (see [rest.md](rest.md)) and an OpenAPI operation.`,
    '',
    '## How every tool behaves',
    '',
    '- **Project**: every tool takes an optional `project_id`. Without it the call acts on the token\'s project (project token), the `--project`/`SITEPUB_PROJECT` default (stdio), or the only project when there is exactly one; otherwise `VALIDATION_ERROR`.',
    '- **Success**: `structuredContent` is the output object below, and the same JSON is the first `text` content. Results that create or list pages or assets also carry one `resource_link` per item (`sitepub://{project_id}/pages/{slug}` or `.../assets/{slug}`).',
    '- **Failure**: a result with `isError: true` whose text is the error JSON `{"code", "type", "message", ...}` (see [errors.md](errors.md)). An unknown tool name, or a malformed `tools/call` request, is a JSON-RPC error `-32602` instead.',
    '- **Arguments** are validated before anything runs or is written, the same way for MCP and REST. Arguments not in the schema are dropped silently. Every string must be well-formed Unicode (no lone UTF-16 surrogate). Slugs are NFC-normalised and checked (see [sites-and-downloads.md](sites-and-downloads.md#slugs)).',
    `- **JSON object arguments** (\`meta\`, \`seo\`, \`metadata\`): at most ${MAX_JSON_DEPTH} levels of nesting; \`meta\` and \`seo\` at most ${MAX_PAGE_META_BYTES} bytes of JSON each, \`metadata\` at most ${MAX_TOKEN_METADATA_BYTES}. These bounds are not in the JSON Schema.`,
    '- **Read-only**: a token created with `--read-only` (or `serve`/`mcp --read-only`) lists only the tools with `readOnlyHint: true`; `--toolsets` keeps only the named toolsets (the `project` toolset always stays).',
    '',
    'Errors any tool can return, besides those listed per tool:',
    '',
    '| type | when |',
    '| --- | --- |',
    ...Object.entries(COMMON).map(([t, w]) => `| ${code(t)} | ${esc(w)} |`),
    '',
    '## Summary',
    '',
    '| tool | title | toolset | REST route | readOnly | destructive | idempotent | openWorld |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...ALL_TOOLS.map((t) => {
      const a = t.annotations;
      return `| [${code(t.name)}](#${t.name.replace(/[^a-z0-9_-]/g, '')}) | ${esc(t.title)} | ${t.toolset} | ${code(`${t.rest.method} ${restPath(t.rest.path)}`)} | ${hint(a.readOnlyHint)} | ${hint(a.destructiveHint)} | ${hint(a.idempotentHint)} | ${hint(a.openWorldHint)} |`;
    }),
    '',
  );
  let toolset = '';
  for (const t of ALL_TOOLS) {
    if (t.toolset !== toolset) {
      toolset = t.toolset;
      p(`## Toolset \`${toolset}\``, '');
    }
    const errors = ERRORS[t.name];
    p(
      `### \`${t.name}\``,
      '',
      `**${t.title}**. REST: ${code(`${t.rest.method} ${restPath(t.rest.path)}`)} (success ${t.rest.status ?? 200}).`,
      '',
      t.description,
      '',
      '**Input**',
      '',
      inputTable(jsonSchemaOf(t.input, 'input')),
      '',
      '**Output** (`structuredContent`; REST `data`)',
      '',
      outputTable(jsonSchemaOf(t.output, 'output')),
      '',
    );
    if (t.name === 'assets_upload') {
      p(
        '**Allowed types** (by the slug\'s extension; the bytes are checked against it: binary types by signature, text types must be UTF-8 without NUL, SVG must have an `<svg>` root, JSON must parse, XML must start with `<`)',
        '',
        '| extension | served as | max size | `content_text` |',
        '| --- | --- | --- | --- |',
        ...Object.values(ASSET_KINDS).map((k) => `| ${k.ext} | ${code(k.contentType)} | ${k.maxBytes / 1048576} MB | ${k.text ? 'yes' : 'no'} |`),
        '',
      );
    }
    const entries = Object.entries(errors);
    p('**Errors**' + (entries.length ? '' : ': only those every tool can return.'), '');
    if (entries.length) p('| type | when |', '| --- | --- |', ...entries.map(([type, when]) => `| ${code(type)} | ${esc(when)} |`), '');
  }
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

const text = render();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(OUT, 'utf8');
  } catch {
    current = '';
  }
  if (current !== text) {
    process.stderr.write('docs/tools.md is not what the tool definitions give. Run `npm run build && node scripts/gen-tool-docs.mjs` and commit docs/tools.md.\n');
    process.exit(1);
  }
} else if (process.argv.includes('--stdout')) {
  process.stdout.write(text);
} else {
  writeFileSync(OUT, text);
  process.stdout.write(`wrote ${path.relative(root, OUT)}\n`);
}
