/**
 * How much one HTTP request may make the server build, across every call of a batch. Without it, a single GET
 * batching 100 list calls of 1,000 long descriptions builds a multi-GB answer and the process dies.
 */
import { TooLargeError } from "./errors.ts";

export interface BudgetLimits {
  /** Rows (analyses) one request may return in all. */
  maxRows: number;
  /** Bytes of stored text (UTF-8) one request may return in all. */
  maxBytes: number;
}

export class ResponseBudget {
  #rows: number;
  #bytes: number;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly limits: BudgetLimits) {
    this.#rows = limits.maxRows;
    this.#bytes = limits.maxBytes;
  }

  /** Bytes of text this request may still return: pages that size themselves (export) stay within it. */
  get remainingBytes(): number {
    return this.#bytes;
  }

  /** Fails before any query when `rows` more would not fit. */
  reserveRows(rows: number): void {
    if (rows > this.#rows) {
      throw new TooLargeError(
        `This request asks for more than ${this.limits.maxRows} rows in all (MAX_RESPONSE_ROWS); ask for fewer per request`,
      );
    }
  }

  /** Counts what a call returns; fails, instead of answering, once the request's answers would exceed a limit. */
  charge(rows: number, texts: Iterable<string>): void {
    let bytes = 0;
    for (const text of texts) bytes += Buffer.byteLength(text, "utf8");
    this.reserveRows(rows);
    if (bytes > this.#bytes) {
      throw new TooLargeError(
        `This request's answers would hold more than ${this.limits.maxBytes} bytes of text (MAX_RESPONSE_BYTES); ` +
          "ask for fewer items per request",
      );
    }
    this.#rows -= rows;
    this.#bytes -= bytes;
  }

  /**
   * Runs a request's large reads one at a time, so each sees what the earlier ones used and at most one large
   * page is in memory per request.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
