// Processes that left the run's process group. The harness leads a group, and one signal to the group
// ends the script and its DataLoader workers; a descendant that calls setsid() (or starts a subprocess
// with start_new_session=True) leaves it, and would outlive the run. They are found by walking /proc's
// parent links down from the harness while it runs (once their parent exits they are re-parented to
// init and the link is gone), remembered with their start time (so a reused pid is never signalled),
// and killed with their own group when the run ends. A run's processes also inherit a token in their
// environment (RUN_TOKEN_VARIABLE): the last sweep, after the harness exited, finds by it the escapees
// that the half-second walk never saw (a short run, a parent that exited in between). Linux only:
// elsewhere there is no /proc to walk.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { listProcesses, readStat, signalGroup } from './process-group';
import type { ProcInfo } from './process-group';

export interface Escapee {
  pid: number;
  comm: string;
}

/** The environment variable that marks every process of one run. */
export const RUN_TOKEN_VARIABLE = 'PIPELINE_DOCTOR_RUN_TOKEN';

export function newRunToken(): string {
  return randomBytes(12).toString('hex');
}

export class EscapeeTracker {
  private readonly found = new Map<number, ProcInfo>();

  constructor(private readonly harnessPid: number, private readonly token?: string) {}

  /** After the harness exited: every process still carrying the run's token is an escapee. */
  sweepByToken(): void {
    if (process.platform !== 'linux' || this.token === undefined) return;
    const entry = Buffer.from(`\0${RUN_TOKEN_VARIABLE}=${this.token}\0`);
    const first = entry.subarray(1);
    for (const p of listProcesses()) {
      // Members of the run's group were signalled with it; only those outside it escaped.
      if (p.pid === process.pid || p.pgid === this.harnessPid || p.state === 'Z' || this.found.has(p.pid)) continue;
      let env: Buffer;
      try {
        env = fs.readFileSync(`/proc/${p.pid}/environ`);
      } catch {
        continue;
      }
      if (env.includes(entry) || env.subarray(0, first.length).equals(first)) this.found.set(p.pid, p);
    }
  }

  /** Records the harness's descendants outside its group; cheap enough to run every half second. */
  poll(): void {
    if (process.platform !== 'linux') return;
    const all = listProcesses();
    const children = new Map<number, ProcInfo[]>();
    for (const p of all) {
      const list = children.get(p.ppid);
      if (list) list.push(p);
      else children.set(p.ppid, [p]);
    }
    // Descendants of the harness, and of escapees found earlier (their own children may leave too).
    const roots = [this.harnessPid, ...this.found.keys()];
    const seen = new Set<number>(roots);
    const queue = [...roots];
    while (queue.length > 0) {
      for (const child of children.get(queue.shift()!) ?? []) {
        if (seen.has(child.pid)) continue;
        seen.add(child.pid);
        queue.push(child.pid);
        if (child.pgid !== this.harnessPid && child.state !== 'Z' && !this.found.has(child.pid)) this.found.set(child.pid, child);
      }
    }
  }

  /** SIGKILLs every recorded escapee still alive (the same process, by start time) and its group. */
  killAll(): Escapee[] {
    const killed: Escapee[] = [];
    for (const p of this.found.values()) {
      const now = readStat(p.pid);
      if (now === null || now.startTime !== p.startTime || now.state === 'Z') continue;
      // Its own group, when it leads one (setsid makes it leader of a new session and group).
      if (now.pgid === p.pid) signalGroup(p.pid, 'SIGKILL');
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
      killed.push({ pid: p.pid, comm: p.comm });
    }
    return killed;
  }
}
