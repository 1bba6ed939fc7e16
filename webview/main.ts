// Entry of the dashboard bundle (media/dist/dashboard.js). Two homes, one app:
// - in a VS Code webview: messages from the host, `ready` handshake, view state kept with getState/setState;
// - in an exported report: the run is embedded in the page as JSON (Arrow bytes in base64) and nothing
//   talks to a host.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { base64ToBytes } from '../src/shared/html';
import type { DashboardViewState, ReportPayload, RunTableBytes, WebviewToHostMessage } from '../src/shared/protocol';
import { isDashboardViewState, isReportPayload } from '../src/shared/protocol';
import { DashboardApp } from './ui/app';
import type { Bridge } from './ui/app';

interface VsCodeApi {
  postMessage(message: WebviewToHostMessage): void;
  getState(): unknown;
  setState(state: DashboardViewState): void;
}

declare global {
  // Injected by VS Code into webviews; absent in the exported report.
  function acquireVsCodeApi(): VsCodeApi;
}

function vscodeBridge(api: VsCodeApi): Bridge {
  return {
    interactive: true,
    post: (m) => api.postMessage(m),
    loadState: () => {
      const s = api.getState();
      return isDashboardViewState(s) ? s : null;
    },
    saveState: (s) => api.setState(s),
  };
}

const reportBridge: Bridge = {
  interactive: false,
  post: () => undefined,
  loadState: () => null,
  saveState: () => undefined,
};

function decodeEmbedded(payload: ReportPayload): RunTableBytes {
  const t = payload.run.tables;
  const b = (s: string | null): Uint8Array | null => (s === null ? null : base64ToBytes(s));
  return { steps: b(t.steps), system: b(t.system), gpu: b(t.gpu), loaders: b(t.loaders) };
}

function start(): void {
  const root = document.getElementById('app');
  if (!root) return;
  const embedded = document.getElementById('pd-report-data');
  if (embedded) {
    const app = new DashboardApp(root, reportBridge);
    let payload: unknown;
    try {
      payload = JSON.parse(embedded.textContent ?? '');
    } catch {
      payload = null;
    }
    if (!isReportPayload(payload)) {
      root.textContent = 'This report\u2019s data is damaged and cannot be shown.';
      return;
    }
    app.receive({ type: 'run', run: { ...payload.run, tables: decodeEmbedded(payload) } });
    if (payload.comparison) app.receive(payload.comparison);
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => app.redrawCharts());
    return;
  }
  if (typeof acquireVsCodeApi !== 'function') {
    root.textContent = 'The dashboard runs inside VS Code or as an exported report.';
    return;
  }
  const api = acquireVsCodeApi();
  const app = new DashboardApp(root, vscodeBridge(api));
  window.addEventListener('message', (event: MessageEvent<unknown>) => app.receive(event.data));
  // VS Code switches themes by changing the body's class (vscode-light / vscode-dark / vscode-high-contrast).
  new MutationObserver(() => app.redrawCharts()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  api.postMessage({ type: 'ready' });
}

start();
