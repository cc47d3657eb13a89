import { viewDocument } from './view-runtime.js';

/**
 * The page-preview view (`ui://sitepub/page-preview`), shown with pages_get, pages_create,
 * pages_update, pages_patch and pages_rollback. From the tool's arguments and result it takes the
 * page (project_id, slug), asks apps_page_preview for the live version, and shows it rendered in a
 * script-free sandboxed frame (`srcdoc`, a `<base>` at the page URL so its assets load from the
 * site), at desktop or phone width, with the version and the diff against the version before. Its
 * buttons: roll back to that version (apps_page_rollback, then the model is told through
 * ui/update-model-context), open the live page and open a signed preview link of the version
 * (ui/open-link). Page content is only ever set as `srcdoc` or `textContent`, never parsed here.
 * A host that does not offer the view the app-only tools (the server lists them only to clients that
 * declared MCP Apps) gets the same from the model's tools: pages_get, pages_versions, pages_diff,
 * pages_preview, and the roll-back through pages_rollback.
 */
const STYLE = `
.stage{border:1px solid var(--line);border-radius:.5rem;overflow:hidden;background:#fff;margin:0 auto;transition:width .2s}
.stage.phone{width:390px;max-width:100%}.stage.desktop{width:100%}
.stage iframe{display:block;width:100%;height:480px;border:0;background:#fff}
details{margin-top:.75rem}summary{cursor:pointer}
pre.diff{margin:.5rem 0 0;max-height:320px;overflow:auto;border:1px solid var(--line);border-radius:.4rem;font:12px/1.35 ui-monospace,monospace;white-space:pre-wrap;word-break:break-word}
pre.diff span{display:block;padding:0 .4rem}.diff .add{background:var(--add)}.diff .del{background:var(--del)}.diff .hunk{color:var(--muted)}
`;

const BODY = `<header><h1 id="title">Page preview</h1><span class="badge" id="version"></span>
<span role="group" aria-label="Width"><button id="desktop" aria-pressed="true">Desktop</button> <button id="phone" aria-pressed="false">Phone</button></span>
<button id="rollback" disabled>Roll back</button><button id="live" disabled>Open live site</button><button id="preview" disabled>Open preview</button></header>
<p id="status" role="status">Waiting for the page…</p>
<div class="stage desktop" id="stage"><iframe id="frame" sandbox="" referrerpolicy="no-referrer" title="Page preview (scripts off)"></iframe></div>
<details id="changes" open hidden><summary id="summary"></summary><pre class="diff" id="diff"></pre></details>`;

const SCRIPT = String.raw`
const $ = (id) => document.getElementById(id);
let args = {};
let shown = null;
const status = (text, error) => { $('status').textContent = text; $('status').className = error ? 'error' : ''; };
function width(mode) {
  $('stage').className = 'stage ' + mode;
  $('desktop').setAttribute('aria-pressed', String(mode === 'desktop'));
  $('phone').setAttribute('aria-pressed', String(mode === 'phone'));
}
$('desktop').addEventListener('click', () => width('desktop'));
$('phone').addEventListener('click', () => width('phone'));
$('live').addEventListener('click', () => shown && host.openLink(shown.url));
$('preview').addEventListener('click', () => shown && host.openLink(shown.preview_url));
$('rollback').addEventListener('click', async () => {
  if (!shown || shown.previous_version === null) return;
  $('rollback').disabled = true;
  status('Rolling back to v' + shown.previous_version + '…');
  try {
    const args = { ...project(), slug: shown.slug, target_version: shown.previous_version };
    const r = await host.callAppTool('apps_page_rollback', { ...args, expected_current_version: shown.current_version }, async () => {
      const now = await host.callTool('pages_versions', { ...project(), slug: shown.slug });
      if (now.current_version !== shown.current_version) throw new Error('The page is at version ' + now.current_version + ' now, not ' + shown.current_version + ': reload the preview before rolling back.');
      return host.callTool('pages_rollback', args);
    });
    await host.tellModel('The user rolled back page "' + r.slug + '" to version ' + r.rolled_back_to + ' from the preview; it is now version ' + r.new_version + ' (version_hash ' + r.new_version_hash + '). Re-read it with pages_get before editing it again.');
    await load(r.slug);
    status('Rolled back to v' + r.rolled_back_to + ': live as v' + r.new_version + '.');
  } catch (e) { status(e.message, true); $('rollback').disabled = false; }
});
const project = () => (typeof args.project_id === 'string' ? { project_id: args.project_id } : {});
/** The lines of a unified diff from its first hunk on (the file header lines dropped). */
const hunks = (diff) => { const lines = diff.split('\n'); const at = lines.findIndex((l) => l.startsWith('@@')); return at < 0 ? [] : lines.slice(at); };
function renderDiff(p) {
  $('changes').hidden = p.previous_version === null;
  if (p.previous_version === null) return;
  if (p.diff === null) {
    $('summary').textContent = 'Changes from v' + p.previous_version + ': not shown (this host does not let the view read them)';
    $('diff').replaceChildren();
    return;
  }
  $('summary').textContent = 'Changes from v' + p.previous_version + ': +' + p.added_lines + ' −' + p.removed_lines + (p.diff_truncated ? ' (cut; the dashboard shows all of it)' : '');
  const pre = $('diff');
  pre.replaceChildren();
  for (const line of hunks(p.diff)) {
    if (line === '') continue;
    const cls = line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') || line.startsWith('\\') ? 'hunk' : '';
    pre.append(el('span', { class: cls }, line));
  }
}
/** A model tool's answer, or null where this host or server does not offer it (the view then goes without). */
const optional = (name, a) => host.callTool(name, a).catch(() => null);
/**
 * What apps_page_preview answers, from the model's own tools, where the host offers the view no
 * app-only tool (a host that could not tell the server it renders views): pages_get, pages_versions,
 * pages_diff and pages_preview. The page's HTML is as stored (the served head is not applied).
 */
async function fromModelTools(slug) {
  const page = await host.callTool('pages_get', { ...project(), slug, include_version: true });
  const history = await host.callTool('pages_versions', { ...project(), slug });
  const older = history.versions.map((v) => v.version).filter((v) => v < page.version);
  const previous = older.length ? Math.max(...older) : null;
  const [d, preview] = await Promise.all([
    previous === null ? null : optional('pages_diff', { ...project(), slug: page.slug, from_version: previous, to_version: page.version }),
    optional('pages_preview', { ...project(), slug: page.slug }),
  ]);
  const changed = d ? hunks(d.diff) : [];
  const title = page.meta && typeof page.meta.title === 'string' ? page.meta.title : null;
  return {
    slug: page.slug, title, version: page.version, version_hash: page.version_hash, current_version: history.current_version, content: page.content,
    base_url: page.url, url: page.url, preview_url: preview ? preview.preview_url : null, previous_version: previous,
    diff: d ? d.diff : null, diff_truncated: d ? d.diff_truncated === true : false,
    added_lines: changed.filter((l) => l.startsWith('+')).length, removed_lines: changed.filter((l) => l.startsWith('-')).length,
  };
}
async function load(slug) {
  status('Loading ' + slug + '…');
  const p = await host.callAppTool('apps_page_preview', { ...project(), slug }, () => fromModelTools(slug));
  shown = p;
  $('title').textContent = p.title ? p.title + ' (' + p.slug + ')' : p.slug;
  $('version').textContent = 'v' + p.version + (p.version === p.current_version ? ' · live' : '');
  $('frame').srcdoc = withBase(p.content, p.base_url);
  $('frame').title = 'Preview of ' + p.slug + ' v' + p.version + ' (scripts off)';
  $('live').disabled = false;
  $('preview').disabled = !p.preview_url;
  $('rollback').disabled = p.previous_version === null;
  $('rollback').textContent = p.previous_version === null ? 'Roll back' : 'Roll back to v' + p.previous_version;
  renderDiff(p);
  status('');
}
host.on('ui/notifications/tool-input', (p) => { args = p.arguments || {}; });
host.on('ui/notifications/tool-result', (r) => {
  if (r.isError) { status('The tool call failed, so there is nothing to show.', true); return; }
  const slug = (r.structuredContent && r.structuredContent.slug) || args.slug;
  if (!slug) { status('No page in this result.', true); return; }
  load(slug).catch((e) => status(e.message, true));
});
host.connect('sitepub-page-preview').catch((e) => status('Could not reach the host: ' + e.message, true));
`;

export const PAGE_PREVIEW_HTML = viewDocument('sitepub page preview', STYLE, BODY, SCRIPT);
