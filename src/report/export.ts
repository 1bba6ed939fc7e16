// `Export Report` / `pipeline-doctor profile --report` / `pipeline-doctor report`: one self-contained
// HTML file for a run folder, built from the same webview bundle the dashboard uses.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ComparisonMessage } from '../shared/protocol';
import { compareMeasuredRuns } from '../shared/run-comparison';
import { readMeasuredRun } from '../runner/measured-run';
import { reportPageHtml } from './page';
import { loadDashboardRun, readSummary, runIdOf } from './run-data';
import type { LoadRunOptions } from './run-data';

export const WEBVIEW_SCRIPT = 'dashboard.js';
export const WEBVIEW_STYLE = 'dashboard.css';

export class ReportAssetsNotFoundError extends Error {
  constructor(tried: readonly string[]) {
    super(`the dashboard bundle (media/dist/${WEBVIEW_SCRIPT}) was not found; build it with 'node scripts/build.mjs'. Looked in: ${tried.join(', ')}`);
    this.name = 'ReportAssetsNotFoundError';
  }
}

/** 128 bits from crypto, base64: the nonce CSP expects. */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * media/dist next to wherever this code runs from: dist/cli.js and dist/extension.js (bundled),
 * out/src/report/ (tsc, tests), src/report/ (ts-node style runs).
 */
export function locateWebviewAssets(extra: readonly string[] = []): { script: string; style: string } {
  const candidates = [
    ...extra,
    path.resolve(__dirname, '..', 'media', 'dist'),
    path.resolve(__dirname, '..', '..', 'media', 'dist'),
    path.resolve(__dirname, '..', '..', '..', 'media', 'dist'),
  ];
  for (const dir of candidates) {
    const script = path.join(dir, WEBVIEW_SCRIPT);
    const style = path.join(dir, WEBVIEW_STYLE);
    if (fs.existsSync(script) && fs.existsSync(style)) return { script, style };
  }
  throw new ReportAssetsNotFoundError(candidates);
}

export interface ReportOptions extends LoadRunOptions {
  /** An earlier run folder to compare with ("before"). */
  compareWith?: string;
  assetsDir?: string;
}

export async function buildReport(folder: string, options: ReportOptions = {}): Promise<{ html: string; problems: string[] }> {
  const assets = locateWebviewAssets(options.assetsDir ? [options.assetsDir] : []);
  const { run, problems } = await loadDashboardRun(folder, options);
  let comparison: ComparisonMessage | null = null;
  if (options.compareWith) {
    const before = readSummary(options.compareWith);
    comparison = { type: 'comparison', base: { ...before, id: runIdOf(options.compareWith) }, other: { ...run.summary, id: run.id } };
    try {
      comparison.measured = compareMeasuredRuns(readMeasuredRun(options.compareWith), readMeasuredRun(folder));
    } catch (e) {
      problems.push(`no measured comparison: ${(e as Error).message}`);
    }
  }
  const html = reportPageHtml({
    run, comparison,
    script: fs.readFileSync(assets.script, 'utf8'),
    css: fs.readFileSync(assets.style, 'utf8'),
    nonce: newNonce(),
  });
  return { html, problems };
}

export async function writeReport(folder: string, outFile: string, options: ReportOptions = {}): Promise<{ file: string; bytes: number; problems: string[] }> {
  const { html, problems } = await buildReport(folder, options);
  const file = path.resolve(outFile);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, html);
  return { file, bytes: Buffer.byteLength(html), problems };
}
