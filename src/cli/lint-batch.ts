// What the lint main thread and its worker threads exchange, and the per-file analysis all of them run.
import { analyzeFile, type AnalysisResult, type AnalyzeOptions } from '../analyzers';

export type FileResult = Omit<AnalysisResult, 'tree'>;
export interface LintBatch { files: string[] }
export interface LintBatchDone { results: FileResult[] }

/** One file's findings and notices; a failure becomes a notice on that file instead of ending the run. */
export async function analyzeForLint(file: string, options: AnalyzeOptions): Promise<FileResult> {
  try {
    const { findings, notices, tree } = await analyzeFile(file, options);
    tree?.delete();
    return { findings, notices };
  } catch (e) {
    return { findings: [], notices: [{ file, kind: 'rule-failed', level: 'error', message: `analysis failed: ${(e as Error).message}` }] };
  }
}

export async function analyzeBatch(files: readonly string[], options: AnalyzeOptions): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for (const file of files) results.push(await analyzeForLint(file, options));
  return results;
}
