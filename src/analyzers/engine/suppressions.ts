// `# pipeline-doctor: ignore[LOAD001, LOAD005]` on a line silences those codes there; `ignore` alone
// silences every code on the line; `ignore-file[...]` anywhere silences them in the whole file.
// YAML uses `#` too; JSON with comments uses `//`.
import type { Finding } from '../../shared/findings';

const DIRECTIVE = /(?:#|\/\/)\s*pipeline-doctor:\s*(ignore-file|ignore)\b(?:\[([A-Za-z0-9_,\s]*)\])?/g;

export class Suppressions {
  private readonly byLine = new Map<number, Set<string> | 'all'>();
  private fileWide: Set<string> | 'all' | undefined;

  constructor(text: string) {
    if (!text.includes('pipeline-doctor:')) return;
    const lines = text.split(/\r\n|\r|\n/);
    lines.forEach((line, i) => {
      if (!line.includes('pipeline-doctor:')) return;
      for (const m of line.matchAll(DIRECTIVE)) {
        const codes = m[2] === undefined ? 'all' : new Set(m[2].split(',').map((c) => c.trim().toUpperCase()).filter(Boolean));
        if (m[1] === 'ignore-file') this.fileWide = merge(this.fileWide, codes);
        else this.byLine.set(i, merge(this.byLine.get(i), codes));
      }
    });
  }

  /** A finding is suppressed by a directive on the first or the last line of its range. */
  isSuppressed(f: Pick<Finding, 'code' | 'range'>): boolean {
    const hit = (s: Set<string> | 'all' | undefined) => s === 'all' || (s !== undefined && s.has(f.code));
    return hit(this.fileWide) || hit(this.byLine.get(f.range.start.line)) || hit(this.byLine.get(f.range.end.line));
  }
}

function merge(a: Set<string> | 'all' | undefined, b: Set<string> | 'all'): Set<string> | 'all' {
  if (a === 'all' || b === 'all') return 'all';
  return new Set([...(a ?? []), ...b]);
}
