// Entry point: builds the editor adapters and registers them. All behaviour lives in src/editor/.
import * as vscode from 'vscode';
import type { PipelineDoctorApi } from './editor/api';
import { registerCodeActions } from './editor/code-actions';
import { registerCommands } from './editor/commands';
import { affectsOurSettings } from './editor/config';
import { Diagnostics } from './editor/diagnostics';
import { registerRuleDocs } from './editor/docs';
import { DashboardPanel } from './editor/dashboard';
import { Log } from './editor/log';
import { Profiler } from './editor/profile';
import { VerifyLoop } from './editor/verify-loop';

export function activate(context: vscode.ExtensionContext): PipelineDoctorApi {
  const started = performance.now();
  const log = new Log();
  const diagnostics = new Diagnostics(log);
  // Runs of a script outside every workspace folder go to the extension's storage; the dashboard lists them too.
  const storageRunsBase = vscode.Uri.joinPath(context.storageUri ?? context.globalStorageUri, 'runs').fsPath;
  const profiler = new Profiler({ log, diagnostics, storageRunsBase });
  const verifyLoop = new VerifyLoop({ profiler, diagnostics, log, storageRunsBase });
  context.subscriptions.push(
    log,
    diagnostics,
    profiler,
    ...registerRuleDocs(log),
    registerCodeActions(diagnostics),
    ...registerCommands({ diagnostics, log, profiler, verifyLoop, storageRunsBase }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affectsOurSettings(e)) {
        log.info('settings changed: re-analysing');
        diagnostics.refreshAll();
      }
    }),
  );
  diagnostics.start();
  log.info(`activated in ${(performance.now() - started).toFixed(1)} ms (VS Code ${vscode.version}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'})`);
  return {
    whenIdle: () => diagnostics.whenIdle(),
    logLines: () => log.recent,
    notificationCount: () => log.notifications,
    analysisCounts: () => ({ ...diagnostics.counts }),
    profile: () => profiler.probe,
    dashboard: () => ({ ...DashboardPanel.probe }),
    verify: () => verifyLoop.probe,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
