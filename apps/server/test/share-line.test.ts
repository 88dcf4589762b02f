/**
 * Regression tests for a key's line (ConcurrencyShares) since it has one timer for the whole line instead of a timer
 * and an abort listener per waiter: each waiter is still refused at its own KEY_QUEUE_MS, one whose caller hung up
 * still leaves the line and never takes a slot, and the line stays first come, first served.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConcurrencyShares, HANG_UP_CHECK_MS, type Release } from "../src/concurrency.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Whether `promise` has settled by the next macrotask (what it answered, or "pending"). */
const settled = <T>(promise: Promise<T>) => Promise.race([promise, sleep(0).then(() => "pending" as const)]);
/** What `promise` has answered so far, read synchronously (under fake timers, where `settled` cannot sleep). */
function outcome<T>(promise: Promise<T>): () => T | "pending" {
  let answer: T | "pending" = "pending";
  void promise.then((value) => (answer = value));
  return () => answer;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("a key's line", () => {
  it("refuses each waiter at its own deadline, not the first waiter's or the line's", async () => {
    const shares = new ConcurrencyShares(1, 300);
    const held = await shares.acquire("k", 1);
    const first = shares.acquire("k", 1);
    await sleep(150);
    const second = shares.acquire("k", 1);
    // At 300 ms from the first: refused; the second, 150 ms younger, still waits.
    expect(await first).toBeUndefined();
    expect(await settled(second)).toBe("pending");
    held!();
    const admitted = await second;
    expect(admitted).toBeTypeOf("function");
    expect(shares.running("k")).toBe(1);
    admitted!();
    expect(shares.running("k")).toBe(0);
  });

  it("lets a waiter whose caller hung up leave the line within HANG_UP_CHECK_MS, without ever taking a slot", async () => {
    vi.useFakeTimers();
    const shares = new ConcurrencyShares(1, 30_000);
    const held = await shares.acquire("k", 1);
    const hangUp = new AbortController();
    const gone = outcome(shares.acquire("k", 1, () => hangUp.signal));
    const next = shares.acquire("k", 1);
    await vi.advanceTimersByTimeAsync(HANG_UP_CHECK_MS);
    expect(gone()).toBe("pending");
    hangUp.abort();
    // Out of the line at the next sweep, far before its 30 s bound, while the slot is still held.
    await vi.advanceTimersByTimeAsync(HANG_UP_CHECK_MS);
    expect(gone()).toBeUndefined();
    expect(shares.running("k")).toBe(1);
    held!();
    // The slot goes to the call behind it.
    const admitted = await next;
    expect(admitted).toBeTypeOf("function");
    expect(shares.running("k")).toBe(1);
    admitted!();
  });

  it("skips at its turn a waiter whose caller hung up just before, and admits the one behind it", async () => {
    const shares = new ConcurrencyShares(1, 30_000);
    const held = await shares.acquire("k", 1);
    const hangUp = new AbortController();
    const gone = shares.acquire("k", 1, () => hangUp.signal);
    const next = shares.acquire("k", 1);
    hangUp.abort();
    held!();
    expect(await gone).toBeUndefined();
    const admitted = await next;
    expect(admitted).toBeTypeOf("function");
    expect(shares.running("k")).toBe(1);
    admitted!();
  });

  it("serves first come, first served: a later, smaller call waits behind a larger head", async () => {
    const shares = new ConcurrencyShares(2, 30_000);
    const held: Release[] = [(await shares.acquire("k", 1))!];
    const batch = shares.acquire("k", 2);
    const single = shares.acquire("k", 1);
    // One slot is free, but the head needs two: the single call behind it must not pass.
    expect(await settled(single)).toBe("pending");
    held[0]!();
    const both = await batch;
    expect(shares.running("k")).toBe(2);
    expect(await settled(single)).toBe("pending");
    both!();
    (await single)!();
    expect(shares.running("k")).toBe(0);
  });

  it("leaves no timer behind once its line is empty, whether its waiters were admitted or refused", async () => {
    vi.useFakeTimers();
    const shares = new ConcurrencyShares(1, 1_000);
    const held = await shares.acquire("k", 1);
    const admittedLater = shares.acquire("k", 1);
    expect(vi.getTimerCount()).toBe(1);
    held!();
    (await admittedLater)!();
    expect(vi.getTimerCount()).toBe(0);
    const heldAgain = await shares.acquire("k", 1);
    const refused = outcome(shares.acquire("k", 1));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(refused()).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    heldAgain!();
    expect(shares.running("k")).toBe(0);
  });

  it("refuses at once, with no line, when KEY_QUEUE_MS is 0", async () => {
    vi.useFakeTimers();
    const shares = new ConcurrencyShares(1, 0);
    const held = await shares.acquire("k", 1);
    expect(await shares.acquire("k", 1)).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    held!();
    expect(shares.running("k")).toBe(0);
  });
});
