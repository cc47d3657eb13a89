import { html, type Html } from './html.js';

const W = 720;
const H = 200;
const PAD = { top: 12, right: 8, bottom: 28, left: 40 };

/** A round axis top at or above `max`: 1, 2, 5 times a power of ten. */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/**
 * Counts per day as a bar chart in server-made SVG: no script, no chart library. Each bar
 * carries its day and count as a tooltip (`<title>`); the same numbers are in a table beside it,
 * which is what screen readers read (the picture is `role="img"` with a summary).
 */
function barChart(daily: ReadonlyArray<{ date: string; n: number }>, label: string, unit: string, dataName: string): Html {
  const max = niceMax(Math.max(0, ...daily.map((d) => d.n)));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const step = innerW / Math.max(1, daily.length);
  const barW = Math.max(1, step * 0.75);
  const total = daily.reduce((a, d) => a + d.n, 0);
  const bars = daily.map((d, i) => {
    const h = (d.n / max) * innerH;
    const x = PAD.left + i * step + (step - barW) / 2;
    return html`<rect x="${x.toFixed(1)}" y="${(PAD.top + innerH - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="#2563eb" data-date="${d.date}" data-${dataName}="${d.n}"><title>${d.date}: ${d.n}</title></rect>`;
  });
  const first = daily[0]?.date ?? '';
  const last = daily[daily.length - 1]?.date ?? '';
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${label}: ${total} ${unit} from ${first} to ${last}; the numbers are in the table below" xmlns="http://www.w3.org/2000/svg">
<line x1="${PAD.left}" y1="${PAD.top + innerH}" x2="${W - PAD.right}" y2="${PAD.top + innerH}" stroke="#888"/>
<line x1="${PAD.left}" y1="${PAD.top}" x2="${W - PAD.right}" y2="${PAD.top}" stroke="#e5e7eb"/>
<text x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end" font-size="12" fill="#444">${max}</text>
<text x="${PAD.left - 6}" y="${PAD.top + innerH + 4}" text-anchor="end" font-size="12" fill="#444">0</text>
${bars}
<text x="${PAD.left}" y="${H - 8}" font-size="12" fill="#444">${first}</text>
<text x="${W - PAD.right}" y="${H - 8}" text-anchor="end" font-size="12" fill="#444">${last}</text></svg>`;
}

/** Downloads per day (the download statistics page). */
export function dailyChart(daily: ReadonlyArray<{ date: string; downloads: number }>, label: string): Html {
  return barChart(daily.map((d) => ({ date: d.date, n: d.downloads })), label, 'downloads', 'downloads');
}

/** Page views per day (the project overview). */
export function viewsChart(daily: ReadonlyArray<{ date: string; views: number }>, label: string): Html {
  return barChart(daily.map((d) => ({ date: d.date, n: d.views })), label, 'page views', 'views');
}
