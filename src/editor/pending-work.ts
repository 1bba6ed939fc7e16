// Analyses in flight and debounce timers still waiting, so "idle" can be awaited (the integration tests
// do, before they read diagnostics). Shared by the text-document and the notebook diagnostics.

export class PendingWork {
  private readonly inflight = new Set<Promise<unknown>>();

  track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  /** Resolves once nothing runs and `timersPending` says no debounce timer is waiting (bounded). */
  async whenIdle(timersPending: () => boolean): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      const timers = timersPending();
      if (!timers && this.inflight.size === 0) return;
      await Promise.all([...this.inflight]);
      if (timers) await new Promise((r) => setTimeout(r, 25));
    }
  }
}
