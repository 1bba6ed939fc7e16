// A .gitignore matcher for the workspace scan and the CLI: the common subset (globs, `**`, anchored
// and directory-only patterns, negation), enough to skip virtual environments and build output.

interface Pattern {
  regex: RegExp;
  negate: boolean;
  dirOnly: boolean;
}

function globToRegex(glob: string, anchored: boolean): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i);
      if (end < 0) re += '\\[';
      else {
        re += glob.slice(i, end + 1).replace(/^\[!/, '[^');
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`${anchored ? '^' : '(?:^|/)'}${re}(?:/.*)?$`);
}

export class IgnoreRules {
  private readonly patterns: Pattern[] = [];

  /** `base` is the folder of the .gitignore, relative to the scan root ('' for the root). */
  add(content: string, base = ''): void {
    for (const raw of content.split(/\r?\n/)) {
      let line = raw.replace(/(?<!\\)\s+$/, '');
      if (!line || line.startsWith('#')) continue;
      const negate = line.startsWith('!');
      if (negate) line = line.slice(1);
      const dirOnly = line.endsWith('/');
      if (dirOnly) line = line.slice(0, -1);
      const anchored = line.includes('/') && !line.startsWith('**/');
      if (line.startsWith('/')) line = line.slice(1);
      const full = base ? `${base}/${line}` : line;
      this.patterns.push({ regex: globToRegex(full, anchored || base !== ''), negate, dirOnly });
    }
  }

  /** `rel` uses forward slashes, relative to the scan root. */
  ignores(rel: string, isDir: boolean): boolean {
    let ignored = false;
    for (const p of this.patterns) {
      // The walker never enters an ignored folder, so a folder-only pattern needs testing on folders alone.
      if (p.dirOnly && !isDir) continue;
      if (p.regex.test(rel)) ignored = !p.negate;
    }
    return ignored;
  }
}
