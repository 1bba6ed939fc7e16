// The one place the extension reports to the user: a LogOutputChannel for everything, and at most one
// notification per session so a noisy workspace (hundreds of broken files) never floods the UI.
import * as vscode from 'vscode';

export const OUTPUT_CHANNEL_NAME = 'Pipeline Doctor';

export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  private notified = false;
  /** The last lines, kept for the integration tests (the channel's content is not readable via the API). */
  readonly recent: string[] = [];
  notifications = 0;

  constructor() {
    this.channel = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  }

  private remember(level: string, message: string): void {
    this.recent.push(`${level} ${message}`);
    if (this.recent.length > 500) this.recent.splice(0, this.recent.length - 500);
  }

  trace(message: string): void {
    this.channel.trace(message);
  }

  info(message: string): void {
    this.remember('info', message);
    this.channel.info(message);
  }

  warn(message: string): void {
    this.remember('warning', message);
    this.channel.warn(message);
  }

  error(message: string, error?: unknown): void {
    const detail = error instanceof Error ? `${message}: ${error.stack ?? error.message}` : message;
    this.remember('error', detail);
    this.channel.error(detail);
  }

  /** Shows `message` as a notification unless one was already shown this session; always logs it. */
  notifyOnce(level: 'info' | 'warning' | 'error', message: string): void {
    if (level === 'error') this.error(message);
    else if (level === 'warning') this.warn(message);
    else this.info(message);
    if (this.notified) return;
    this.notified = true;
    this.notifications++;
    const show = level === 'error' ? vscode.window.showErrorMessage : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    // Not awaited: a notification waits for the user, the analysis must not.
    void Promise.resolve(show(`Pipeline Doctor: ${message}`, 'Show Log')).then((choice) => {
      if (choice === 'Show Log') this.channel.show(true);
    });
  }

  dispose(): void {
    this.channel.dispose();
  }
}
