// Everything the harness reported, accumulated as events arrive. Kilobytes for a quick run: steps are
// kept as parallel number arrays, the rest is a few small records.
import type {
  ControlEvent, CudaMemoryEvent, DataProbeEvent, EndEvent, GpuSample, HelloEvent, IoProbe, LoaderInfo, ProfileEvent, StepPhase,
} from '../shared/profile';

export interface StepRow {
  loader: number;
  index: number;
  phase: StepPhase;
  t: number;
  stepMs: number;
  waitMs: number;
  samples: number | null;
}

export interface MeasuredWindow {
  loader: number;
  windowMs: number;
  windowSteps: number;
}

export class RunState {
  hello: HelloEvent | null = null;
  torch: string | null = null;
  cuda = false;
  gpuName: string | null = null;
  readonly loaders = new Map<number, LoaderInfo>();
  /**
   * Each loader's role as first reported, from its sampler. A training loader that does not shuffle is
   * re-reported as 'train' once it is seen in the training step; a sweep trial still finds it by the
   * role its constructor arguments give (pd_trial.py).
   */
  readonly roleAtCreation = new Map<number, LoaderInfo['role']>();
  readonly fetches = new Map<number, number>();
  trainingLoader: number | null = null;
  readonly steps: StepRow[] = [];
  readonly gpu: GpuSample[] = [];
  cudaMemory: CudaMemoryEvent | null = null;
  control: ControlEvent | null = null;
  window: MeasuredWindow | null = null;
  ioProbe: IoProbe | null = null;
  dataProbe: DataProbeEvent | null = null;
  readonly notices: string[] = [];
  end: EndEvent | null = null;
  /** Event lines that were not valid events: counted, not kept (a script writing to fd 3 could send millions). */
  invalidLines = 0;
  /** Event lines over MAX_EVENT_LINE_CHARS, dropped unread. */
  tooLongLines = 0;

  apply(e: ProfileEvent): void {
    switch (e.type) {
      case 'hello':
        this.hello = e;
        this.torch = e.torch;
        break;
      case 'device':
        this.torch = e.torch ?? this.torch;
        this.cuda = e.cuda;
        this.gpuName = e.gpuName;
        break;
      case 'loader': {
        const { type: _type, ...info } = e;
        if (!this.loaders.has(e.id)) this.roleAtCreation.set(e.id, e.role);
        // Which loader's steps define the verdict is decided from the whole run (measurement.ts).
        this.loaders.set(e.id, { ...info, training: false });
        break;
      }
      case 'training-loader':
        this.trainingLoader = e.loader;
        break;
      case 'steps':
        for (let i = 0; i < e.t.length; i++) {
          this.steps.push({
            loader: e.loader, index: e.first + i, phase: e.phase, t: e.t[i] ?? 0, stepMs: e.stepMs[i] ?? 0,
            waitMs: e.waitMs[i] ?? 0, samples: e.samples[i] ?? null,
          });
        }
        this.fetches.set(e.loader, Math.max(this.fetches.get(e.loader) ?? 0, e.first + e.t.length));
        break;
      case 'phase':
        if (e.phase === 'measured' && e.windowMs !== undefined && e.windowSteps !== undefined) {
          this.window = { loader: e.loader, windowMs: e.windowMs, windowSteps: e.windowSteps };
        }
        break;
      case 'gpu':
        this.gpu.push(...e.samples);
        break;
      case 'cuda-memory':
        this.cudaMemory = e;
        break;
      case 'control':
        this.control = e;
        break;
      case 'io-probe': {
        const { type: _type, ...probe } = e;
        this.ioProbe = probe;
        break;
      }
      case 'data-probe':
        this.dataProbe = e;
        break;
      case 'notice':
        this.notices.push(e.message);
        break;
      case 'end':
        this.end = e;
        break;
    }
  }

  stepsOf(loader: number | null, phase: StepPhase): StepRow[] {
    return this.steps.filter((s) => s.loader === loader && s.phase === phase);
  }
}
