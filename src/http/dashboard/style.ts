/**
 * The dashboard's stylesheet, served as a file from the platform origin (static.ts) so the page
 * CSP can say `style-src 'self'`. Phone first: one column, tables scroll sideways in their box.
 */
export const DASHBOARD_CSS = `*,*::before,*::after{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d1d1f;background:#f6f7f9}
a{color:#1d4ed8}a:hover{color:#1e3a8a}
:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#111;color:#fff;padding:.5rem 1rem;z-index:10}.skip:focus{left:0}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;padding:.6rem 1rem;background:#111;color:#fff}
header.top a{color:#fff;text-decoration:none;font-weight:700}header.top .who{font-size:.9rem;color:#d1d5db}
header.top form{display:flex;gap:.5rem;align-items:center;margin:0}header.top button{margin:0;padding:.3rem .8rem;background:#fff;color:#111}
nav.sections{background:#fff;border-bottom:1px solid #ddd;padding:0 1rem;overflow-x:auto}
nav.sections ul{display:flex;gap:.25rem;list-style:none;margin:0;padding:0}
nav.sections a{display:block;padding:.7rem .8rem;text-decoration:none;color:#333;border-bottom:3px solid transparent;white-space:nowrap}
nav.sections a[aria-current=page]{border-color:#111;color:#111;font-weight:600}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem;overflow-wrap:anywhere}h2{font-size:1.2rem;margin:2rem 0 .6rem}
section.card{background:#fff;border:1px solid #e2e2e2;border-radius:.5rem;padding:1rem;margin:1rem 0}section.card h2{margin-top:0}
label{display:block;margin:.7rem 0 .2rem;font-weight:600}label.inline{display:flex;gap:.4rem;align-items:center;font-weight:400;margin:.6rem 0}
fieldset{border:1px solid #ccc;border-radius:.4rem;margin:.8rem 0;padding:.2rem .8rem}legend{font-weight:600;padding:0 .3rem}
input,select,textarea{font:inherit;max-width:100%;padding:.45rem;border:1px solid #888;border-radius:.35rem;background:#fff}
input[type=text],input[type=search],input[type=url],input[type=number],input[type=file],select{width:24rem}
input[type=checkbox]{width:auto}
button,.button{display:inline-block;font:inherit;padding:.5rem 1rem;border-radius:.4rem;border:1px solid #333;background:#111;color:#fff;cursor:pointer;margin:.8rem .5rem 0 0;text-decoration:none}
button.secondary,.button.secondary{background:#fff;color:#111}button.danger{background:#b91c1c;border-color:#7f1d1d}
button.small{padding:.2rem .6rem;margin:0;font-size:.9rem}
.row{display:flex;flex-wrap:wrap;gap:0 1.5rem;align-items:flex-end}
.error{border-left:4px solid #b91c1c;background:#fef2f2;padding:.6rem .8rem}
.notice{border-left:4px solid #15803d;background:#f0fdf4;padding:.6rem .8rem}
.warning{border-left:4px solid #b45309;background:#fffbeb;padding:.6rem .8rem}
.secret{display:block;font:1rem ui-monospace,monospace;background:#111;color:#fff;padding:.6rem;border-radius:.3rem;word-break:break-all}
.muted{color:#555;font-size:.9rem}code{background:#eef0f3;padding:.1rem .3rem;border-radius:.2rem;word-break:break-all}
.table-wrap{overflow-x:auto;border:1px solid #e2e2e2;border-radius:.4rem;background:#fff}
table{border-collapse:collapse;width:100%;font-size:.95rem}caption{text-align:left;font-weight:600;padding:.5rem}
th,td{padding:.45rem .6rem;border-bottom:1px solid #eee;text-align:left;vertical-align:top}th{background:#fafafa;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td form{margin:.2rem 0 0}td code{word-break:normal;overflow-wrap:anywhere}
.status{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:.85rem;border:1px solid #999}
.status-active,.status-published,.status-verified{background:#dcfce7;border-color:#15803d}.status-expired,.status-empty{background:#f3f4f6}
.status-exhausted,.status-pending{background:#fef9c3;border-color:#a16207}.status-revoked{background:#fee2e2;border-color:#b91c1c}
.filters{display:flex;flex-wrap:wrap;gap:.4rem;list-style:none;padding:0;margin:.5rem 0}
.filters a{display:block;padding:.25rem .8rem;border:1px solid #999;border-radius:1rem;text-decoration:none;color:#111;background:#fff}
.filters a[aria-current=page]{background:#111;color:#fff;border-color:#111}
.thumb{width:48px;height:48px;object-fit:contain;background:#eee;border-radius:.2rem}
iframe.preview{width:100%;height:28rem;border:1px solid #ccc;border-radius:.4rem;background:#fff}
pre.source{background:#fff;border:1px solid #ddd;border-radius:.4rem;padding:.8rem;overflow:auto;max-height:40rem;font-size:.85rem}
table.diff{font:.85rem/1.4 ui-monospace,monospace}table.diff td{border:0;padding:0 .4rem;white-space:pre-wrap;word-break:break-all}
table.diff td.ln{color:#666;text-align:right;user-select:none;width:3.5rem}table.diff td.sign{width:1.2rem;user-select:none}
tr.add td{background:#dcfce7}tr.add td.sign{color:#166534}tr.del td{background:#fee2e2}tr.del td.sign{color:#991b1b}
tr.skip td{background:#eef2ff;color:#3730a3;font-style:italic;padding:.2rem .4rem}
svg.chart{width:100%;height:auto;max-height:16rem;background:#fff;border:1px solid #e2e2e2;border-radius:.4rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
ul.cards{list-style:none;padding:0;display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr))}
ul.cards li{background:#fff;border:1px solid #e2e2e2;border-radius:.5rem;padding:1rem}
.pager{display:flex;gap:1rem;margin:.8rem 0}
@media (max-width:40rem){input[type=text],input[type=search],input[type=url],input[type=number],input[type=file],select{width:100%}main{padding:.6rem}th,td{padding:.35rem .4rem}}
`;
