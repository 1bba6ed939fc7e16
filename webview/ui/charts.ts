// uPlot charts of one run. Each chart takes typed arrays straight from webview/model/series.ts, draws in
// theme colours, and reports its first draw so the app (and the tests, and the benchmark) know when the
// dashboard is fully drawn.
import uPlot from 'uplot';
import type { StepSeries } from '../model/series';
import { PHASE_MEASURED, PHASE_NAMES } from '../model/series';
import type { SweepChart } from '../model/sweep';
import type { ChartColors } from './theme';

const HEIGHT = 200;

export interface ChartLine {
  label: string;
  values: (number | null)[] | Float32Array | Float64Array;
  color: string;
  /** Formats the legend value; defaults to 1 decimal + unit. */
  unit: string;
}

function axes(c: ChartColors, xLabel: string, yLabel: string): uPlot.Axis[] {
  const axis = (label: string): uPlot.Axis => ({
    label, stroke: c.foreground, grid: { stroke: c.grid, width: 0.5 }, ticks: { stroke: c.grid, width: 0.5 },
    labelFont: '12px system-ui, sans-serif', font: '11px system-ui, sans-serif',
  });
  return [axis(xLabel), axis(yLabel)];
}

function widthOf(target: HTMLElement): number {
  return Math.max(240, Math.floor(target.clientWidth || target.getBoundingClientRect().width || 600));
}

/** Keeps a chart as wide as its container. */
function fitWidth(plot: uPlot, target: HTMLElement): void {
  if (typeof ResizeObserver === 'undefined') return;
  let last = widthOf(target);
  const ro = new ResizeObserver(() => {
    const w = widthOf(target);
    if (w !== last) {
      last = w;
      plot.setSize({ width: w, height: HEIGHT });
    }
  });
  ro.observe(target);
  const destroy = plot.destroy.bind(plot);
  plot.destroy = () => {
    ro.disconnect();
    destroy();
  };
}

function onFirstDraw(done: () => void): (u: uPlot) => void {
  let fired = false;
  return () => {
    if (!fired) {
      fired = true;
      done();
    }
  };
}

const fmt = (unit: string) => (_u: uPlot, v: number | null): string => (v === null || v === undefined || Number.isNaN(v) ? '\u2014' : `${v.toFixed(1)}${unit}`);

/** Data wait stacked under compute: the filled total is the step, the lower band the wait. Non-measured phases shaded. */
export function stepTimelineChart(target: HTMLElement, s: StepSeries, c: ChartColors, drawn: () => void): uPlot {
  const shade = (u: uPlot): void => {
    const { ctx } = u;
    ctx.save();
    ctx.globalAlpha = 0.08;
    ctx.fillStyle = c.shade;
    for (const r of s.phaseRanges) {
      if (r.phase === PHASE_MEASURED) continue;
      const x0 = u.valToPos(s.index[r.start] ?? 0, 'x', true);
      const x1 = u.valToPos(s.index[r.end - 1] ?? 0, 'x', true);
      ctx.fillRect(x0, u.bbox.top, Math.max(1, x1 - x0), u.bbox.height);
    }
    ctx.restore();
  };
  const label = (u: uPlot): void => {
    const { ctx } = u;
    ctx.save();
    ctx.fillStyle = c.foreground;
    ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    for (const r of s.phaseRanges) {
      if (r.phase === PHASE_MEASURED || r.end - r.start < 1) continue;
      ctx.fillText(PHASE_NAMES[r.phase] ?? '', u.valToPos(s.index[r.start] ?? 0, 'x', true) + 4, u.bbox.top + 4);
    }
    ctx.restore();
  };
  const plot = new uPlot({
    width: widthOf(target), height: HEIGHT,
    scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] } },
    axes: axes(c, 'step', 'ms'),
    legend: { show: true, live: true },
    cursor: { drag: { x: true, y: false } },
    // The compute band lies between the wait and the whole step, not under the wait band: a theme's
    // translucent chart colour (VS Code's light themes) would otherwise show the two mixed, in a colour
    // that matches neither legend marker.
    bands: [{ series: [1, 2], fill: c.compute }],
    series: [
      { label: 'step' },
      {
        label: 'compute', stroke: c.compute, fill: c.compute, width: 1, points: { show: false },
        // The plotted value is the whole step (compute stacked on wait); the legend shows compute alone.
        value: (_u, _v, _si, i) => (i === null ? '\u2014' : `${(s.computeMs[i] ?? NaN).toFixed(2)} ms`),
      },
      { label: 'data wait', stroke: c.wait, fill: c.wait, width: 1, points: { show: false }, value: fmt(' ms') },
    ],
    hooks: { drawClear: [shade], draw: [label, onFirstDraw(drawn)] },
  }, [s.index, s.stepMs, s.waitMs], target);
  fitWidth(plot, target);
  return plot;
}

/** A timeline against seconds since the run started (GPU, CPU, disk). */
export function timeChart(target: HTMLElement, x: Float64Array, lines: readonly ChartLine[], yLabel: string, c: ChartColors, drawn: () => void, yMax?: number): uPlot {
  const plot = new uPlot({
    width: widthOf(target), height: HEIGHT,
    scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, yMax ?? (max > 0 ? max * 1.1 : 1)] } },
    axes: axes(c, 's since start', yLabel),
    legend: { show: true },
    series: [
      { label: 't', value: (_u, v) => (v === null ? '\u2014' : `${v.toFixed(1)} s`) },
      ...lines.map((l): uPlot.Series => ({ label: l.label, stroke: l.color, width: 1.5, points: { show: x.length < 60 }, value: fmt(l.unit), spanGaps: false })),
    ],
    hooks: { draw: [onFirstDraw(drawn)] },
  }, [x, ...lines.map((l) => l.values)], target);
  fitWidth(plot, target);
  return plot;
}

interface MarkLabel {
  x: number;
  y: number;
  text: string;
  color: string;
  filled: boolean;
  width: number;
}

interface LabelBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

function overlaps(a: LabelBox, b: LabelBox): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/**
 * Label boxes for the marked points (canvas pixels): beside the dot, above it, else below it, else
 * further down, taking the first place that overlaps no earlier label and no other dot. Two settings
 * with the same num_workers and close speeds ("recommended" and "current") would otherwise print over
 * each other.
 */
export function placeMarkLabels(marks: readonly { x: number; y: number; width: number }[], plot: { left: number; right: number }, px: number): LabelBox[] {
  const h = 13 * px;
  const r = 9 * px;
  const placed: LabelBox[] = [];
  const dots = marks.map((m) => ({ x: m.x - r, y: m.y - r, w: 2 * r, h: 2 * r }));
  for (const [i, m] of marks.entries()) {
    const right = m.x + r + m.width > plot.right;
    const x = right ? m.x - r - m.width : m.x + r;
    const candidates = [-h - r / 2, r / 2, h + r, 2 * h + r, -2 * h - r].map((dy) => ({ x, y: m.y + dy, w: m.width, h }));
    const box = candidates.find((b) => !placed.some((p) => overlaps(p, b)) && !dots.some((d, j) => j !== i && overlaps(d, b))) ?? candidates[0];
    placed.push(box!);
  }
  return placed;
}

/** Training steps/s per num_workers (trial runs), one line per pin_memory × prefetch_factor × persistent_workers, recommended and current setting marked. */
export function sweepPlot(target: HTMLElement, chart: SweepChart, c: ChartColors, drawn: () => void): uPlot {
  const mark = (u: uPlot): void => {
    const { ctx } = u;
    const px = devicePixelRatio;
    ctx.save();
    ctx.font = `bold ${Math.round(11 * px)}px system-ui, sans-serif`;
    const marks: MarkLabel[] = [];
    const at = (p: SweepChart['best'], color: string, text: string, filled: boolean): void => {
      if (!p) return;
      marks.push({ x: u.valToPos(chart.workers[p.x] ?? 0, 'x', true), y: u.valToPos(p.stepsPerSec, 'y', true), text, color, filled, width: ctx.measureText(text).width });
    };
    at(chart.best, c.best, 'recommended', true);
    at(chart.current, c.current, 'current', false);
    const boxes = placeMarkLabels(marks, { left: u.bbox.left, right: u.bbox.left + u.bbox.width }, px);
    marks.forEach((m, i) => {
      const box = boxes[i];
      ctx.strokeStyle = m.color;
      ctx.fillStyle = m.color;
      ctx.lineWidth = 2 * px;
      ctx.beginPath();
      ctx.arc(m.x, m.y, 7 * px, 0, 2 * Math.PI);
      if (m.filled) ctx.fill();
      ctx.stroke();
      if (!box) return;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      ctx.fillText(m.text, box.x, box.y);
    });
    ctx.restore();
    // Where the labels went, in CSS pixels, for the tests (canvas text is not in the DOM).
    target.dataset.markLabels = JSON.stringify(boxes.map((b, i) => ({ text: marks[i]?.text, ...b && { x: b.x / px, y: b.y / px, w: b.w / px, h: b.h / px } })));
  };
  const plot = new uPlot({
    width: widthOf(target), height: HEIGHT,
    scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.2 : 1] } },
    axes: [...axes(c, 'num_workers', 'steps/s').map((a, i) => (i === 0 ? { ...a, splits: () => chart.workers } : a))],
    legend: { show: true },
    series: [
      { label: 'num_workers' },
      ...chart.lines.map((l, i): uPlot.Series => ({
        label: l.label, stroke: c.palette[i % c.palette.length], width: 1.5, spanGaps: true,
        points: { show: true, size: 6 }, value: fmt(' /s'),
      })),
    ],
    hooks: { draw: [mark, onFirstDraw(drawn)] },
  }, [Float64Array.from(chart.workers), ...chart.lines.map((l) => l.stepsPerSec)], target);
  fitWidth(plot, target);
  return plot;
}
