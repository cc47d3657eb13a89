import { viewDocument } from './view-runtime.js';

/**
 * The site-overview view (`ui://sitepub/site-overview`), shown with project_status and pages_list:
 * the site's pages as cards, each with a thumbnail that is the page itself in a script-free
 * sandboxed `srcdoc` frame laid out at 1280 px and scaled to a quarter (no screenshots: the server
 * has no browser, and the frames stay current), its title, version and a button opening it on the
 * live site (ui/open-link). Where the host does not offer the view apps_site_overview, the same
 * comes from project_status, pages_list and pages_get.
 */
const STYLE = `
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:.75rem}
.card{border:1px solid var(--line);border-radius:.5rem;overflow:hidden;display:flex;flex-direction:column}
.thumb{position:relative;height:150px;overflow:hidden;background:#fff;border-bottom:1px solid var(--line)}
.thumb iframe{position:absolute;top:0;left:0;width:1280px;height:800px;border:0;transform:scale(.1875);transform-origin:0 0;pointer-events:none;background:#fff}
.meta{padding:.5rem;display:flex;flex-direction:column;gap:.25rem}
.meta strong{overflow-wrap:anywhere}.meta small{color:var(--muted)}
.meta button{align-self:flex-start}
`;

const BODY = `<header><h1 id="title">Site</h1><span class="badge" id="count"></span><button id="site" disabled>Open site</button></header>
<p id="status" role="status">Waiting for the site…</p><div class="grid" id="grid"></div>`;

const SCRIPT = String.raw`
const $ = (id) => document.getElementById(id);
let args = {};
let site = null;
const status = (text, error) => { $('status').textContent = text; $('status').className = error ? 'error' : ''; };
$('site').addEventListener('click', () => site && host.openLink(site.url));
function card(p) {
  const frame = el('iframe', { sandbox: '', referrerpolicy: 'no-referrer', loading: 'lazy', tabindex: '-1', 'aria-hidden': 'true', title: 'Thumbnail of ' + p.slug });
  frame.srcdoc = withBase(p.thumbnail_html, p.url);
  return el('article', { class: 'card', 'data-slug': p.slug },
    el('div', { class: 'thumb' }, frame),
    el('div', { class: 'meta' }, el('strong', {}, p.title || p.slug), el('small', {}, p.slug + ' · v' + p.version + ' · ' + p.updated_at.slice(0, 10)),
      el('button', { onclick: () => host.openLink(p.url) }, 'Open')));
}
async function fromModelTools(project) {
  const st = await host.callTool('project_status', project);
  const list = await host.callTool('pages_list', { ...project, limit: 24 });
  const pages = [];
  for (const p of list.pages) pages.push({ ...p, thumbnail_html: (await host.callTool('pages_get', { ...project, slug: p.slug })).content.slice(0, 65536) });
  return { project_id: st.project_id, name: st.name, url: st.url, total: list.total, pages };
}
async function load() {
  status('Loading pages…');
  const project = typeof args.project_id === 'string' ? { project_id: args.project_id } : {};
  site = await host.callAppTool('apps_site_overview', project, () => fromModelTools(project));
  $('title').textContent = site.name;
  $('count').textContent = site.total + (site.total === 1 ? ' page' : ' pages');
  $('site').disabled = false;
  $('grid').replaceChildren(...site.pages.map(card));
  status(site.total === 0 ? 'No pages yet.' : site.pages.length < site.total ? 'Showing the first ' + site.pages.length + ' pages by slug.' : '');
}
host.on('ui/notifications/tool-input', (p) => { args = p.arguments || {}; });
host.on('ui/notifications/tool-result', (r) => {
  if (r.isError) { status('The tool call failed, so there is nothing to show.', true); return; }
  load().catch((e) => status(e.message, true));
});
host.connect('sitepub-site-overview').catch((e) => status('Could not reach the host: ' + e.message, true));
`;

export const SITE_OVERVIEW_HTML = viewDocument('sitepub site overview', STYLE, BODY, SCRIPT);
