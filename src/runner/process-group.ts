// The harness runs in its own process group (spawn `detached: true` makes it a group leader), so one
// signal reaches the script, its DataLoader workers and anything else it forked.
import fs from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Session id: a process that called setsid() leads a session (and a group) of its own. */
  sid: number;
  /** Clock ticks after boot when the process started: with the pid, it names one process even after pid reuse. */
  startTime: number;
  state: string;
  comm: string;
}

/** Sends `signal` to every process of the group; false when the group is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

export function readStat(pid: number): ProcInfo | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: split after the last ')'.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const rest = text.slice(close + 2).split(' ');
    // Fields from the state (field 3 of proc(5)); starttime is field 22.
    return { pid, comm, state: rest[0] ?? '?', ppid: Number(rest[1]), pgid: Number(rest[2]), sid: Number(rest[3]), startTime: Number(rest[19]) };
  } catch {
    return null;
  }
}

/** Every process visible in /proc (Linux); empty elsewhere. */
export function listProcesses(): ProcInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcInfo[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const info = readStat(Number(name));
    if (info !== null) out.push(info);
  }
  return out;
}

/** Live (non-zombie) members of a process group. Zombies hold no resources and are reaped by init. */
export function liveGroupMembers(pgid: number): ProcInfo[] {
  return listProcesses().filter((p) => p.pgid === pgid && p.state !== 'Z' && p.state !== 'X');
}

export function groupIsAlive(pgid: number): boolean {
  if (process.platform === 'linux') return liveGroupMembers(pgid).length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
