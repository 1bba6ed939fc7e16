// What `activate()` returns: a small surface for the integration tests (and future companion
// extensions) to observe the extension without reaching into its internals.
import type { DashboardProbe } from './dashboard';
import type { ProfileProbe } from './profile';
import type { VerifyProbe } from './verify-loop';

export interface PipelineDoctorApi {
  /** Resolves once no analysis is pending or running. */
  whenIdle(): Promise<void>;
  /** Recent log lines (`level message`), newest last. */
  logLines(): readonly string[];
  /** Notifications shown this session (at most one by design). */
  notificationCount(): number;
  /** Analyses of open documents so far, and how many of them re-parsed incrementally. */
  analysisCounts(): { analyses: number; incremental: number };
  /** Profile Pipeline: harness processes spawned, the last outcome and message, the status bar text. */
  profile(): ProfileProbe;
  /** The dashboard panel: open or not, rejected webview messages, the last action's result. */
  dashboard(): DashboardProbe;
  /** Re-profile and compare: offers made after fixes, the last comparison and message. */
  verify(): VerifyProbe;
}
