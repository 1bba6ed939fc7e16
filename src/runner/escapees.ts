// Processes that left the run's process group. The harness leads a group, and one signal to the group
// ends the script and its DataLoader workers; a descendant that calls setsid() (or starts a subprocess
// with start_new_session=True) leaves it, and would outlive the run. They are found by walking /proc's
// parent links down from the harness while it runs (once their parent exits they are re-parented to
// init and the link is gone), remembered with their start time (so a reused pid is never signalled),
// and killed with their own group when the run ends. Linux only: elsewhere there is no /proc to walk.
import { listProcesses, readStat, signalGroup } from './process-group';
import type { ProcInfo } from './process-group';

export interface Escapee {
  pid: number;
  comm: string;
}

export class EscapeeTracker {
  private readonly found = new Map<number, ProcInfo>();

  constructor(private readonly harnessPid: number) {}

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
