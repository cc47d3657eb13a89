import { diffLines, type ChangeObject } from 'diff';
import { notFound } from '../../core/errors.js';
import type { AppDeps } from '../context.js';
import type { DashApp } from './context.js';
import { intParam } from './format.js';
import { html, type Html } from './html.js';
import { dashboardPage } from './layout.js';
import { compareForm, pageHref } from './page.js';

/** Unchanged lines kept around each change; longer unchanged runs fold into one row. */
const CONTEXT = 3;
/** A line diff of two 2 MB pages can take long: past this the answer is "too different" (diff's own timeout). */
const DIFF_TIMEOUT_MS = 1000;

type Line = { kind: 'add' | 'del' | 'same'; text: string; oldNo: number | null; newNo: number | null };

/** The lines of diff's changes, numbered in the old and the new version. */
function linesOf(changes: readonly ChangeObject<string>[]): Line[] {
  const out: Line[] = [];
  let oldNo = 1;
  let newNo = 1;
  for (const ch of changes) {
    const parts = ch.value.split('\n');
    if (parts[parts.length - 1] === '') parts.pop();
    for (const text of parts) {
      if (ch.added) out.push({ kind: 'add', text, oldNo: null, newNo: newNo++ });
      else if (ch.removed) out.push({ kind: 'del', text, oldNo: oldNo++, newNo: null });
      else out.push({ kind: 'same', text, oldNo: oldNo++, newNo: newNo++ });
    }
  }
  return out;
}

const SIGN = { add: '+', del: '−', same: '' } as const;
const SAID = { add: 'added', del: 'removed', same: '' } as const;

function row(l: Line): Html {
  return html`<tr${l.kind === 'same' ? '' : html` class="${l.kind}"`}><td class="ln">${l.oldNo ?? ''}</td><td class="ln">${l.newNo ?? ''}</td><td class="sign">${SIGN[l.kind]}${l.kind === 'same' ? '' : html`<span class="sr">${SAID[l.kind]}</span>`}</td><td>${l.text}</td></tr>`;
}

/** Rows of the diff table, runs of unchanged lines longer than twice the context folded. */
export function diffRows(lines: readonly Line[]): Html[] {
  const rows: Html[] = [];
  let i = 0;
  while (i < lines.length) {
    if (lines[i]!.kind !== 'same') {
      rows.push(row(lines[i++]!));
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j]!.kind === 'same') j++;
    const keepStart = i === 0 ? 0 : CONTEXT;
    const keepEnd = j === lines.length ? 0 : CONTEXT;
    if (j - i > keepStart + keepEnd + 1) {
      for (let k = i; k < i + keepStart; k++) rows.push(row(lines[k]!));
      const hidden = j - i - keepStart - keepEnd;
      rows.push(html`<tr class="skip"><td colspan="4">… ${hidden} unchanged ${hidden === 1 ? 'line' : 'lines'} …</td></tr>`);
      for (let k = j - keepEnd; k < j; k++) rows.push(row(lines[k]!));
    } else {
      for (let k = i; k < j; k++) rows.push(row(lines[k]!));
    }
    i = j;
  }
  return rows;
}

/** `GET /dashboard/p/{id}/page/diff?slug=&from=&to=`: a colored line diff of any two versions (the `diff` library). */
export function mountPageDiff(app: DashApp, deps: AppDeps): void {
  app.get('/p/:pid/page/diff', async (c) => {
    const project = c.get('project');
    const history = await deps.core.pages.versions(project, c.req.query('slug') ?? '');
    const slug = history.slug;
    const current = history.current_version;
    const to = intParam(c.req.query('to'), current, 1);
    const from = intParam(c.req.query('from'), Math.max(1, to - 1), 1);
    for (const v of [from, to]) if (!history.versions.some((x) => x.version === v)) throw notFound(`Version ${v} of page "${slug}"`);
    const [a, b] = await Promise.all([deps.core.pages.versionContent(project, slug, from), deps.core.pages.versionContent(project, slug, to)]);
    const changes = diffLines(a, b, { timeout: DIFF_TIMEOUT_MS });
    let result: Html;
    if (!changes) {
      result = html`<p class="warning">These versions differ too much to compare here (the comparison took over a second). Open each version's source instead.</p>`;
    } else {
      const lines = linesOf(changes);
      const added = lines.filter((l) => l.kind === 'add').length;
      const removed = lines.filter((l) => l.kind === 'del').length;
      result =
        added + removed === 0
          ? html`<p class="notice" role="status">The two versions have the same HTML${a === b ? '' : ' (line endings aside)'}.</p>`
          : html`<p role="status"><strong>${added}</strong> ${added === 1 ? 'line' : 'lines'} added, <strong>${removed}</strong> removed.</p>
<div class="table-wrap"><table class="diff"><caption class="sr">Line changes from version ${from} to version ${to}</caption><thead><tr><th scope="col">v${from}</th><th scope="col">v${to}</th><th scope="col"><span class="sr">Change</span></th><th scope="col">Line</th></tr></thead><tbody>${diffRows(lines)}</tbody></table></div>`;
    }
    return dashboardPage(c, deps.core.urls, {
      title: `${slug}: v${from} → v${to}`,
      owner: c.get('owner'),
      project,
      section: 'pages',
      body: html`<p><a href="${pageHref(project, '', { slug })}">← ${slug}</a></p><h1>${slug}: changes from v${from} to v${to}</h1>
${compareForm(project, slug, history.versions, from, to)}${result}
<p><a href="${pageHref(project, '/version', { slug, v: from })}">v${from}</a> · <a href="${pageHref(project, '/version', { slug, v: to })}">v${to}</a></p>`,
    });
  });
}
