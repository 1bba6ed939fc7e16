// The data-quality probe's findings (docs/runtime-findings.md, RUN008-RUN013): one per issue the harness's
// probe reported over the training loader's first warm-up batches, at that loader's creation site, with the
// probe's counts as figures. The thresholds are the harness's (src/runner/python/pd_data_probe.py); this
// file only words them.
import type { Finding, Severity } from '../shared/findings';
import type { DataProbeEvent, LoaderInfo } from '../shared/profile';
import { rangeOf } from './runtime-findings';

export const DATA_PROBE_CODES = {
  'non-finite': 'RUN008',
  constant: 'RUN009',
  'class-mix': 'RUN010',
  duplicates: 'RUN011',
  'image-range': 'RUN012',
  'empty-batch': 'RUN013',
} as const;

type Issue = DataProbeEvent['issues'][number];

/** "3.1%", "0.02%": enough digits that a small share does not read as 0%. */
function percent(part: number, whole: number): string {
  const p = (part / whole) * 100;
  return `${p >= 10 ? Math.round(p) : p >= 0.1 ? p.toFixed(1) : p.toPrecision(1)}%`;
}

const count = (n: number): string => n.toLocaleString('en-US');
const batches = (n: number): string => `${n} probed batch${n === 1 ? '' : 'es'}`;

function word(issue: Issue, probe: DataProbeEvent): { severity: Severity; message: string; figures: Record<string, number | string> } {
  const where = `the ${batches(probe.batches)}`;
  switch (issue.check) {
    case 'non-finite': {
      const kinds = [issue.nan > 0 ? 'NaN' : '', issue.inf > 0 ? 'Inf' : ''].filter((k) => k).join(' or ');
      return {
        severity: 'warning',
        message: `${percent(issue.nan + issue.inf, issue.values)} of values in ${issue.path} are ${kinds} ` +
          `(${count(issue.nan)} NaN, ${count(issue.inf)} Inf of ${count(issue.values)} values in ${where}): ` +
          'one non-finite input turns the loss and the weights into NaN.',
        figures: { path: issue.path, values: issue.values, nan: issue.nan, inf: issue.inf, share: (issue.nan + issue.inf) / issue.values },
      };
    }
    case 'constant':
      if (issue.columns === undefined || issue.constantColumns === undefined) {
        return {
          severity: 'info',
          message: `All ${count(issue.values)} values of ${issue.path} are the same in ${where} (${count(probe.samples)} samples): ` +
            'it carries no information to learn from (a failed decode or a placeholder?).',
          figures: { path: issue.path, values: issue.values, samples: probe.samples },
        };
      }
      return {
        severity: 'info',
        message: `${issue.constantColumns} of ${issue.columns} features in ${issue.path} are constant across the ${count(probe.samples)} ` +
          `probed samples (column${issue.constantColumns === 1 ? '' : 's'} ${(issue.firstColumns ?? []).join(', ')}` +
          `${issue.constantColumns > (issue.firstColumns ?? []).length ? ', …' : ''}): ` +
          'a feature that never varies cannot help the model; in a small sample a rare value may just not have shown up.',
        figures: { path: issue.path, columns: issue.columns, constantColumns: issue.constantColumns, samples: probe.samples },
      };
    case 'class-mix': {
      const parts: string[] = [];
      if (issue.skewed) {
        parts.push(issue.classesSeen === 1
          ? `all ${count(issue.labels)} probed labels in ${issue.path} are class ${issue.majorityClass}`
          : `${percent(issue.majorityShare, 1)} of ${count(issue.labels)} probed labels in ${issue.path} are class ${issue.majorityClass} ` +
            `(${issue.classesSeen} classes seen)`);
      }
      if (issue.missing > 0) {
        const of = issue.classesDeclared !== undefined ? `of the ${issue.classesDeclared} classes the dataset declares`
          : 'of the classes below the largest label seen';
        parts.push(`${issue.missing} ${of} never appear in ${count(issue.labels)} ${issue.skewed ? 'labels' : `probed labels in ${issue.path}`} ` +
          `(${issue.missingClasses.join(', ')}${issue.missing > issue.missingClasses.length ? ', …' : ''})`);
      }
      const figures: Record<string, number | string> = {
        path: issue.path, labels: issue.labels, classesSeen: issue.classesSeen, majorityClass: issue.majorityClass,
        majorityShare: issue.majorityShare, missingClasses: issue.missing,
      };
      if (issue.classesDeclared !== undefined) figures.classesDeclared = issue.classesDeclared;
      const text = parts.join('; ');
      return {
        severity: 'info',
        message: `${text.charAt(0).toUpperCase()}${text.slice(1)}, drawn in random order: the training data's class mix is badly ` +
          'skewed or incomplete, unless that is the data\'s natural mix (then weight the loss or the sampler).',
        figures,
      };
    }
    case 'duplicates':
      return {
        severity: 'info',
        message: `${count(issue.duplicates)} of ${count(issue.samples)} probed samples (${percent(issue.duplicates, issue.samples)}) ` +
          'repeat an earlier probed sample exactly: the dataset holds duplicates, which weigh those samples more and ' +
          'leak into any split made from it.',
        figures: { samples: issue.samples, duplicates: issue.duplicates, share: issue.duplicates / issue.samples },
      };
    case 'image-range':
      return {
        severity: 'info',
        message: `${issue.path} holds images as floats in ${issue.min}-${issue.max}, not normalised ` +
          '(ToTensor() gives 0-1, Normalize() centres them): unless the model or the loop scales them, divide by 255 and normalise.',
        figures: { path: issue.path, min: issue.min, max: issue.max },
      };
    case 'empty-batch':
      return {
        severity: 'warning',
        message: `${issue.batches} of the ${batches(probe.batches)} ${issue.batches === 1 ? 'is' : 'are'} empty (0 samples): ` +
          'a collate or filter dropped every sample; the step runs on nothing (and a mean loss is NaN).',
        figures: { emptyBatches: issue.batches, batches: probe.batches },
      };
  }
}

export function dataProbeFindings(probe: DataProbeEvent | null, loaders: ReadonlyMap<number, LoaderInfo>, script: string): Finding[] {
  if (probe === null) return [];
  const loader = loaders.get(probe.loader) ?? null;
  return probe.issues.map((issue) => {
    const { severity, message, figures } = word(issue, probe);
    return {
      code: DATA_PROBE_CODES[issue.check], severity, message, file: loader?.file ?? script, range: rangeOf(loader),
      fixes: [], related: [], origin: 'runtime', figures,
    };
  });
}
