// Every command of the extension, registered from this one table. Each id here is declared in
// package.json `contributes.commands` and vice versa (test/meta/contributions.test.ts).
import * as vscode from 'vscode';
import { exportNewestReport, showDashboard } from './dashboard';
import type { Diagnostics } from './diagnostics';
import { showRuleDocs } from './docs';
import { fixAllEdit, notebookFixAllEdit } from './fix-all';
import { NOTEBOOK_CELL_SCHEME } from './notebooks';
import { configureRuleSeverity } from './rule-severity';
import type { Log } from './log';
import type { Profiler } from './profile';
import { scanWorkspace } from './scan';
import type { VerifyLoop } from './verify-loop';

export interface CommandContext {
  diagnostics: Diagnostics;
  log: Log;
  profiler: Profiler;
  verifyLoop: VerifyLoop;
  /** The extension's own runs folder (scripts outside every workspace folder). */
  storageRunsBase: string;
}

interface CommandEntry {
  id: string;
  run(ctx: CommandContext, ...args: unknown[]): unknown;
}

/** The active editor's document, or with a notebook (or one of its cells) focused, the whole notebook. */
async function fixAllInActiveEditor(ctx: CommandContext): Promise<boolean> {
  const doc = vscode.window.activeTextEditor?.document;
  const notebook = doc?.uri.scheme === NOTEBOOK_CELL_SCHEME
    ? ctx.diagnostics.notebooks.notebookOf(doc)?.notebook
    : doc ? undefined : vscode.window.activeNotebookEditor?.notebook;
  if (!doc && !notebook) {
    ctx.log.info('fix all: no active editor');
    return false;
  }
  const edit = notebook ? await notebookFixAllEdit(notebook, ctx.diagnostics) : await fixAllEdit(doc!, ctx.diagnostics);
  if (!edit) {
    vscode.window.setStatusBarMessage(`Pipeline Doctor: no safe fixes in this ${notebook ? 'notebook' : 'file'}`, 5000);
    return false;
  }
  return vscode.workspace.applyEdit(edit);
}

export const COMMANDS: readonly CommandEntry[] = [
  { id: 'pipelineDoctor.scanWorkspace', run: (ctx) => scanWorkspace(ctx.diagnostics, ctx.log) },
  { id: 'pipelineDoctor.showRuleDocumentation', run: (ctx, code) => showRuleDocs(ctx.log, typeof code === 'string' ? code : undefined) },
  { id: 'pipelineDoctor.fixAllSafe', run: (ctx) => fixAllInActiveEditor(ctx) },
  // Optional arguments `(code, severity, uri)`; from the palette both are picked.
  { id: 'pipelineDoctor.configureRuleSeverity', run: (_ctx, code, severity, uri) => configureRuleSeverity(code, severity, uri) },
  { id: 'pipelineDoctor.showLog', run: (ctx) => ctx.log.channel.show() },
  // The optional argument is a run folder (the profile command passes the run it just wrote).
  { id: 'pipelineDoctor.showDashboard', run: (ctx, runFolder) => { showDashboard(ctx, typeof runFolder === 'string' ? runFolder : undefined); } },
  { id: 'pipelineDoctor.exportReport', run: (ctx) => exportNewestReport(ctx) },
  // The optional argument `{ script, mode, args, steps }` skips the pickers; from the editor title menu it is the file's URI.
  { id: 'pipelineDoctor.profilePipeline', run: (ctx, request) => ctx.profiler.run(request) },
  // The optional argument `{ runFolder, script, offer, applied }`: the run to compare with (default: the
  // newest run of the active file); `offer` asks first, as after a fix.
  { id: 'pipelineDoctor.reprofileAndCompare', run: (ctx, request) => ctx.verifyLoop.run(request) },
  // As Cancel on the progress notification: the run stops and what was measured is kept ("stopped by you").
  { id: 'pipelineDoctor.stopProfiling', run: (ctx) => ctx.profiler.stop() },
];

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return COMMANDS.map((c) =>
    vscode.commands.registerCommand(c.id, async (...args: unknown[]) => {
      try {
        return await c.run(ctx, ...args);
      } catch (e) {
        ctx.log.error(`command ${c.id} failed`, e);
        ctx.log.notifyOnce('error', `${c.id} failed: ${(e as Error).message}`);
        return undefined;
      }
    }),
  );
}
