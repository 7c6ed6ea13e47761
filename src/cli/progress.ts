/** A progress bar on stderr (stdout may carry data); redraws in place on a terminal, prints steps otherwise. */
export class ProgressBar {
  private lastPrinted = -1;
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number, extra = ''): void {
    const pct = this.total > 0 ? Math.min(100, Math.floor((100 * done) / this.total)) : 100;
    if (this.tty) {
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      process.stderr.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% ${extra}`);
    } else if (pct >= this.lastPrinted + 10 || (pct === 100 && this.lastPrinted !== 100)) {
      process.stderr.write(`${this.label}: ${pct}% ${extra}\n`);
      this.lastPrinted = pct;
    }
  }

  done(summary: string): void {
    if (this.tty) process.stderr.write('\n');
    process.stderr.write(`${summary}\n`);
  }
}

/**
 * A bar for work whose total is only known at its first progress report: `report` is the work's progress callback,
 * `finish` prints the summary (with a bar of `total` when no report came).
 */
export function lazyBar(label: string) {
  let bar: ProgressBar | undefined;
  return {
    report: (done: number, total: number) => {
      bar ??= new ProgressBar(label, total);
      bar.update(done, `${done}/${total}`);
    },
    finish: (total: number, summary: string) => (bar ?? new ProgressBar(label, total)).done(summary),
  };
}
