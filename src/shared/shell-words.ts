// A shell task's command line (tasks.json `"type": "shell"`) as the words a POSIX shell would pass: quotes and
// backslashes honoured. Anything that needs the shell itself (pipes, `&&`, redirections, `$(…)`, globs) is
// refused: Profile Pipeline starts the program without a shell and would run something else.

export class ShellWordsError extends Error {}

const SHELL_ONLY = /[|&;<>()`$*?[\]{}~#]/;

export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ShellWordsError('unterminated single quote');
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        const d = line[j]!;
        if (d === '$' || d === '`') throw new ShellWordsError(`'${d}' inside double quotes needs a shell`);
        if (d === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) word += line[++j];
        else word += d;
      }
      if (j >= line.length) throw new ShellWordsError('unterminated double quote');
      inWord = true;
      i = j;
    } else if (c === '\\') {
      if (i + 1 < line.length) word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (SHELL_ONLY.test(c)) {
      throw new ShellWordsError(`'${c}' needs a shell`);
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
