/**
 * Progress of `mm export` and `mm import` on stderr (stdout may carry the data): a bar with count, rate and ETA on a
 * terminal (cli-progress), a plain line every few seconds otherwise (logs, CI, pipes), and nothing that rewrites
 * lines or sends escape codes where no terminal reads them.
 */
import cliProgress from "cli-progress";

export interface ProgressOptions {
  /** "export" or "import": starts every line. */
  label: string;
  /** Seconds between plain lines when stderr is no terminal; 0 prints none. */
  every: number;
}

export interface Progress {
  /** What ETA is reckoned in (rows for export, bytes read for import), once known. */
  setTotal(total: number): void;
  /** Rows done so far, and how far through the total (defaults to the rows). */
  update(rows: number, position?: number): void;
  /** Clears the bar (the summary follows) or stops the plain lines. */
  stop(): void;
}

const rate = (rows: number, started: number) =>
  Math.round(rows / Math.max((performance.now() - started) / 1000, 0.001));

export function createProgress({ label, every }: ProgressOptions): Progress {
  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  let rows = 0;
  let position = 0;
  let total: number | undefined;

  if (tty) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: (options, params, payload: { rows: number; rate: number; known: boolean }) => {
          const counts = `${payload.rows} rows | ${payload.rate} rows/s`;
          if (!payload.known) return `mm ${label} | ${counts}`;
          const eta =
            params.eta > 0 && Number.isFinite(params.eta) ? cliProgress.Format.TimeFormat(params.eta, options, 1) : "–";
          return `mm ${label} ${cliProgress.Format.BarFormat(params.progress, options)} ${Math.floor(params.progress * 100)}% | ${counts} | ETA ${eta}`;
        },
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(1, 0, { rows: 0, rate: 0, known: false });
    return {
      setTotal(value) {
        total = value;
        bar.setTotal(Math.max(value, 1));
      },
      update(done, at = done) {
        rows = done;
        position = at;
        bar.update(Math.min(position, total ?? 0), { rows, rate: rate(rows, started), known: total !== undefined });
      },
      stop: () => bar.stop(),
    };
  }

  const line = () => {
    const percent = total ? `, ${Math.floor((Math.min(position, total) / total) * 100)}%` : "";
    process.stderr.write(`mm ${label}: ${rows} rows, ${rate(rows, started)} rows/s${percent}\n`);
  };
  const timer = every > 0 ? setInterval(line, every * 1000) : undefined;
  timer?.unref();
  return {
    setTotal(value) {
      total = value;
    },
    update(done, at = done) {
      rows = done;
      position = at;
    },
    stop: () => clearInterval(timer),
  };
}

/** "2.3 s" / "4 min 05 s": for summaries. */
export function duration(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${String(Math.round(seconds % 60)).padStart(2, "0")} s`;
}
