// The .gitignore rules of a scanned tree, for the workspace scan and the CLI. Matching is the `ignore`
// package's (the matcher ESLint uses): it follows git's wildmatch, so hostile patterns (`[z-a].py`,
// `[\]`, many `**/`) neither throw nor backtrack. This file only layers the files git's way: each
// .gitignore applies to the paths below its own folder, and a deeper file's verdict overrides an
// outer one's, so a nested `!pattern` can re-include what an outer file excludes.
import ignore, { type Ignore } from 'ignore';

interface Level {
  /** The folder of the .gitignore, relative to the scan root ('' for the root). */
  base: string;
  depth: number;
  matcher: Ignore;
}

export class IgnoreRules {
  private readonly levels: Level[] = [];

  /** `base` is the folder of the .gitignore, relative to the scan root ('' for the root). */
  add(content: string, base = ''): void {
    const level = this.levels.find((l) => l.base === base);
    if (level) {
      level.matcher.add(content);
      return;
    }
    this.levels.push({ base, depth: base === '' ? 0 : base.split('/').length, matcher: ignore().add(content) });
    // Outer files first: the last level with a verdict on a path is the deepest one, as in git.
    this.levels.sort((a, b) => a.depth - b.depth);
  }

  /** `rel` uses forward slashes, relative to the scan root. */
  ignores(rel: string, isDir: boolean): boolean {
    let ignored = false;
    for (const { base, matcher } of this.levels) {
      if (base !== '' && !rel.startsWith(`${base}/`)) continue;
      const below = base === '' ? rel : rel.slice(base.length + 1);
      // A trailing slash tells the matcher the path is a folder, which folder-only patterns (`build/`) need.
      const verdict = matcher.test(isDir ? `${below}/` : below);
      if (verdict.ignored) ignored = true;
      else if (verdict.unignored) ignored = false;
    }
    return ignored;
  }
}
