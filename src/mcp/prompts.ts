import { ProtocolError, ProtocolErrorCode, type Prompt, type Server } from '@modelcontextprotocol/server';
import { handle } from './params.js';

/** Ready-made tasks clients show as slash commands; each expands into instructions for the tools. */
const PROMPTS: Array<Prompt & { render(a: Record<string, string>): string }> = [
  {
    name: 'build_site',
    title: 'Build a website',
    description: 'Create a complete small website from a description of the business.',
    arguments: [
      { name: 'description', description: 'What the site is for, e.g. "a bakery in Utrecht with opening hours and a menu"', required: true },
      { name: 'pages', description: 'Pages to create (default: home, about, contact)', required: false },
    ],
    render: (a) =>
      `Build a website: ${a.description}. Pages: ${a.pages || 'home (index.html), about.html, contact.html'}.\n` +
      'Call project_status first. Upload one shared stylesheet with assets_upload (slug css/site.css, content_text), then create all pages in one pages_bulk_create call ' +
      'with complete, accessible HTML that links /css/site.css and the other pages by root-relative paths. Finish by giving me the site URL.',
  },
  {
    name: 'edit_page',
    title: 'Edit a page',
    description: 'Make a targeted change to an existing page safely.',
    arguments: [
      { name: 'slug', description: 'The page, e.g. index.html', required: true },
      { name: 'change', description: 'What to change', required: true },
    ],
    render: (a) =>
      `On page ${a.slug}: ${a.change}.\nCall pages_get with include_version=true, then pages_patch with its version_hash as base_version_hash and exact find strings copied from the content. ` +
      'On VERSION_CONFLICT or PATCH_FIND_* errors, re-read the page and retry. Summarise the change in patch_summary.',
  },
  {
    name: 'sell_file',
    title: 'Sell a file',
    description: 'Put a file up for sale with secure, countable download links.',
    arguments: [
      { name: 'file', description: 'Where the file is: a public URL, a file on my computer, or the slug of an uploaded asset', required: true },
      { name: 'uses', description: 'Downloads per buyer (default 3)', required: false },
    ],
    render: (a) =>
      `Sell this file: ${a.file}. If it is a URL, upload it with assets_upload (source_url, private: true, slug under files/); if it is on my computer, ` +
      'make an upload URL with assets_create_upload_url (private: true, slug under files/) and give me its curl command to run; if it is already an asset, make sure it is private. ' +
      `Then create a link with file-downloads_generate_token (max_uses ${a.uses || '3'}, expires_in_hours 72, require_confirmation true) and give me the download_url. ` +
      'Explain that I can see downloads with file-downloads_list_downloads and stop a link with file-downloads_revoke_token.',
  },
];

const LISTING = { prompts: PROMPTS.map(({ render: _r, ...p }) => p) };

export function registerPrompts(server: Server): void {
  handle(server, 'prompts/list', () => LISTING);
  handle(server, 'prompts/get', (params) => {
    const p = PROMPTS.find((x) => x.name === params.name);
    if (!p) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown prompt: ${params.name}. Known: ${PROMPTS.map((x) => x.name).join(', ')}`);
    const args = params.arguments ?? {};
    for (const a of p.arguments ?? []) if (a.required && !args[a.name]) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${p.name} needs the argument "${a.name}"`);
    return { description: p.description, messages: [{ role: 'user', content: { type: 'text', text: p.render(args) } }] };
  });
}
