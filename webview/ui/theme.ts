// Chart colours come from the theme's --vscode-* variables (VS Code sets them on the webview; the report
// defines them), read at draw time so a theme switch redraws in the new colours.
export interface ChartColors {
  foreground: string;
  grid: string;
  wait: string;
  compute: string;
  memory: string;
  cpu: string;
  cpuRun: string;
  diskRead: string;
  diskWrite: string;
  best: string;
  current: string;
  shade: string;
  palette: string[];
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

export function chartColors(): ChartColors {
  const fg = cssVar('--vscode-charts-foreground', cssVar('--vscode-foreground', 'gray'));
  const red = cssVar('--vscode-charts-red', fg);
  const blue = cssVar('--vscode-charts-blue', fg);
  const yellow = cssVar('--vscode-charts-yellow', fg);
  const orange = cssVar('--vscode-charts-orange', fg);
  const green = cssVar('--vscode-charts-green', fg);
  const purple = cssVar('--vscode-charts-purple', fg);
  return {
    foreground: fg,
    grid: cssVar('--vscode-charts-lines', fg),
    wait: orange,
    compute: blue,
    memory: purple,
    cpu: blue,
    cpuRun: green,
    diskRead: blue,
    diskWrite: yellow,
    best: green,
    current: red,
    shade: fg,
    palette: [blue, orange, green, purple, yellow, red],
  };
}
