// The verify loop's panel: the measured before/after of two runs (src/shared/run-comparison.ts) — the
// speed-up with its interval, what changed (`num_workers 0 → 2`), whether the verdict changed, and a
// warning when the machine's load differed. Text only, through ui/dom.ts.
import type { Spread } from '../../src/shared/profile';
import type { ComparedSide, RunComparison } from '../../src/shared/run-comparison';
import { configChangeText } from '../../src/shared/run-comparison';
import { DASH, fmtMs, fmtSpeedup } from '../model/format';
import { h } from './dom';

function spread(s: Spread | null): string {
  return s === null ? DASH : `${fmtMs(s.p50)} (${fmtMs(s.p10)}\u2013${fmtMs(s.p90)})`;
}

function headline(c: RunComparison): string {
  const sp = c.speedup;
  if (sp === null) return 'Not comparable';
  switch (c.decision) {
    case 'faster':
      return `${fmtSpeedup(sp.p50)} faster`;
    case 'slower':
      return `${fmtSpeedup(1 / sp.p50)} slower`;
    default:
      return 'No clear change';
  }
}

export function comparePanel(c: RunComparison): HTMLElement {
  const sp = c.speedup;
  const row = (label: string, f: (s: ComparedSide) => string): HTMLElement =>
    h('tr', {}, h('th', { attrs: { scope: 'row' } }, label), h('td', {}, f(c.before)), h('td', {}, f(c.after)));
  const cpu = (s: ComparedSide): string => (s.otherCpuPct === null ? DASH : `${Math.round(s.otherCpuPct)}%`);
  return h('div', { class: 'pd-verify', attrs: { 'data-testid': 'verify' } },
    h('h3', {}, 'Measured change'),
    h('p', { class: `pd-speedup decision-${c.decision}`, attrs: { 'data-testid': 'verify-speedup' } },
      h('strong', {}, headline(c)),
      sp === null ? null : ` (${c.decision === 'unclear' ? `${fmtSpeedup(sp.p50)}; ` : ''}${Math.round(sp.level * 100)}% interval ${fmtSpeedup(sp.low)}\u2013${fmtSpeedup(sp.high)}, ratio of mean ${sp.basis})`),
    h('p', { attrs: { 'data-testid': 'verify-sentence' } }, c.sentence),
    c.loadWarning === null ? null : h('p', { class: 'pd-warning', attrs: { role: 'alert', 'data-testid': 'verify-load-warning' } }, c.loadWarning),
    h('p', { attrs: { 'data-testid': 'verify-verdict' } },
      c.verdictChanged ? `Verdict changed: ${c.before.verdictText} \u2192 ${c.after.verdictText}` : `Verdict unchanged: ${c.after.verdictText}`),
    c.configChanges.length === 0
      ? h('p', { attrs: { 'data-testid': 'verify-config' } }, 'No recorded setting changed (loader settings, script, arguments, interpreter, mode).')
      : h('ul', { class: 'pd-config-diff', attrs: { 'data-testid': 'verify-config', 'aria-label': 'What changed' } },
        ...c.configChanges.map((x) => h('li', {}, h('code', {}, configChangeText(x))))),
    h('table', { class: 'pd-table' },
      h('thead', {}, h('tr', {}, h('th', { attrs: { scope: 'col' } }, ''), h('th', { attrs: { scope: 'col' } }, 'Before'), h('th', { attrs: { scope: 'col' } }, 'After'))),
      h('tbody', {},
        row('Step p50 (p10\u2013p90)', (s) => spread(s.stepMs)),
        row('Data wait p50 (p10\u2013p90)', (s) => spread(s.waitMs)),
        row('Measured steps', (s) => String(s.steps)),
        row('Other processes\u2019 CPU', cpu))),
    h('p', { class: 'pd-method' }, c.method));
}
