// The Ranks section of a torchrun run (model/ranks.ts): one row per rank, the straggler's row marked and its
// outlying figure highlighted, named in words above the table (colour is never the only sign). Text only,
// through ui/dom.ts.
import type { RanksView } from '../model/ranks';
import { h } from './dom';

export function ranksPanel(v: RanksView): HTMLElement {
  const rows = v.rows.map((r) => h('tr', {
    class: r.straggler ? 'straggler' : '',
    attrs: { 'data-testid': 'rank-row', 'data-rank': String(r.rank), ...(r.straggler ? { 'data-straggler': 'true' } : {}) },
  }, ...r.cells.map((c, i) => (i === 0
    ? h('th', { attrs: { scope: 'row' } }, c, r.straggler ? h('span', { class: 'pd-badge' }, 'straggler') : null)
    : h('td', { class: `${i < r.cells.length - 1 ? 'num' : ''}${r.hot.includes(i) ? ' hot' : ''}`.trim() }, c)))));
  return h('section', { class: 'pd-ranks', attrs: { 'aria-labelledby': 'pd-ranks-title', 'data-testid': 'ranks' } },
    h('h2', { attrs: { id: 'pd-ranks-title' } }, `Ranks (${v.rows.length})`),
    h('p', { class: v.stragglers.length > 0 ? 'pd-warning' : '', attrs: { 'data-testid': 'ranks-headline' } }, v.headline),
    v.stragglers.length > 0 ? h('ul', {}, ...v.stragglers.map((x) => h('li', {}, x.message))) : null,
    h('table', { class: 'pd-table', attrs: { 'data-testid': 'ranks-table' } },
      h('thead', {}, h('tr', {}, ...v.columns.map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
      h('tbody', {}, ...rows)),
    v.spread !== null ? h('p', { class: 'muted', attrs: { 'data-testid': 'ranks-spread' } }, v.spread) : null,
    h('p', { class: 'muted' }, 'Waiting on others: per step, how much longer the rank\u2019s compute took than the quickest rank\u2019s (time at the step\u2019s collective).'));
}
