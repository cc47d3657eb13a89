/**
 * What both views share, inlined into their HTML (an app's CSP allows no script from elsewhere): the
 * view side of the MCP Apps postMessage protocol (JSON-RPC 2.0 with the host window: ui/initialize,
 * the initialized notification, tool-input and tool-result notifications, tools/call, ui/open-link,
 * ui/update-model-context, size changes, teardown) and a small style. About 4 KB instead of the
 * package's app bundle (about 530 KB with its dependencies); test/mcp-apps-browser.test.ts runs it
 * against the package's own host (AppBridge).
 */
export const VIEW_RUNTIME = String.raw`
const host = (() => {
  const pending = new Map();
  const handlers = new Map();
  let nextId = 1;
  const post = (msg) => window.parent.postMessage({ jsonrpc: '2.0', ...msg }, '*');
  window.addEventListener('message', (ev) => {
    if (ev.source !== window.parent) return;
    const m = ev.data;
    if (!m || m.jsonrpc !== '2.0') return;
    if (m.id !== undefined && !m.method) {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error.message || 'host error'));
      else p.resolve(m.result);
      return;
    }
    const h = handlers.get(m.method);
    if (m.id !== undefined) {
      Promise.resolve(h ? h(m.params || {}) : {}).then((result) => post({ id: m.id, result: result || {} }), (e) => post({ id: m.id, error: { code: -32603, message: String(e && e.message || e) } }));
    } else if (h) h(m.params || {});
  });
  const request = (method, params) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    post({ id, method, params });
  });
  const notify = (method, params) => post({ method, params });
  const on = (method, fn) => handlers.set(method, fn);
  let context = {};
  let capabilities = {};
  on('ui/notifications/host-context-changed', (p) => { context = { ...context, ...p }; applyTheme(); });
  on('ui/resource-teardown', () => ({}));
  function applyTheme() { if (context.theme) document.documentElement.dataset.theme = context.theme; }
  async function connect(name) {
    const r = await request('ui/initialize', { appInfo: { name, version: '1' }, appCapabilities: {}, protocolVersion: '2026-01-26' });
    context = (r && r.hostContext) || {};
    capabilities = (r && r.hostCapabilities) || {};
    applyTheme();
    notify('ui/notifications/initialized', {});
    new ResizeObserver(() => notify('ui/notifications/size-changed', { width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight })).observe(document.body);
  }
  /**
   * A tool's structuredContent, or an Error: with fromTool set when the tool ran and refused (the
   * sitepub error JSON's message), without when the host refused the call (a tool it does not offer
   * this view).
   */
  async function callTool(name, args) {
    const r = await request('tools/call', { name, arguments: args });
    if (r && r.isError) {
      let msg = 'The tool failed.';
      try { const e = JSON.parse(r.content[0].text); msg = e.error ? e.error.message || e.error.type : e.message || msg; } catch {}
      const err = new Error(msg);
      err.fromTool = true;
      throw err;
    }
    return r.structuredContent;
  }
  /** The app-only tool's answer, or, where the host does not offer it to the view, fallback()'s. */
  async function callAppTool(name, args, fallback) {
    try { return await callTool(name, args); } catch (e) { if (e.fromTool) throw e; return fallback(); }
  }
  const openLink = (url) => request('ui/open-link', { url });
  const tellModel = (text) => capabilities.updateModelContext ? request('ui/update-model-context', { content: [{ type: 'text', text }] }).catch(() => {}) : Promise.resolve();
  return { request, notify, on, connect, callTool, callAppTool, openLink, tellModel };
})();
/** Page HTML with a base URL so its relative assets load from the site (after <head>, else the doctype). */
function withBase(html, base) {
  const tag = '<base href="' + base.replace(/&/g, '&amp;').replace(/"/g, '&quot;') + '">';
  const head = /<head(?:\s[^>]*)?>/i.exec(html);
  if (head) return html.slice(0, head.index + head[0].length) + tag + html.slice(head.index + head[0].length);
  const doctype = /^\s*<!doctype[^>]*>/i.exec(html);
  if (doctype) return doctype[0] + tag + html.slice(doctype[0].length);
  return tag + html;
}
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) { if (v === false || v == null) continue; if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v === true ? '' : v); }
  for (const c of children) if (c != null) e.append(c);
  return e;
}
`;

export const VIEW_STYLE = `
:root{color-scheme:light dark;--fg:#1d1d1f;--muted:#6b6b70;--bg:#fff;--line:#d9d9de;--accent:#2755d6;--add:#e6f4ea;--del:#fde7e7;font:14px/1.4 system-ui,sans-serif}
:root[data-theme=dark]{--fg:#ececf1;--muted:#a0a0aa;--bg:#1e1e22;--line:#3a3a42;--accent:#8aa8ff;--add:#1f3a27;--del:#45201f}
body{margin:0;padding:.75rem;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin-bottom:.5rem}
h1{font-size:1rem;margin:0 auto 0 0}
.badge{font-size:.75rem;padding:.1rem .4rem;border:1px solid var(--line);border-radius:1rem;color:var(--muted)}
button{font:inherit;padding:.25rem .6rem;border:1px solid var(--line);border-radius:.4rem;background:transparent;color:var(--fg);cursor:pointer}
button[aria-pressed=true]{border-color:var(--accent);color:var(--accent)}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button:disabled{opacity:.5;cursor:default}
#status{color:var(--muted);min-height:1.2em;margin:.25rem 0}
#status.error{color:#c62828}
`;

/** One view's document. */
export function viewDocument(title: string, style: string, body: string, script: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${title}</title><style>${VIEW_STYLE}${style}</style></head><body>${body}<script>${VIEW_RUNTIME}${script}</script></body></html>`;
}
