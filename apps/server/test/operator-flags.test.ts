/** Regression tests for the V8 flags the server sets in process (heap-growth.ts, wasm-tiers.ts): the operator's win. */
import { describe, expect, it } from "vitest";
import { operatorChose } from "../src/operator-flags.ts";

describe("operatorChose", () => {
  it("sees an operator's V8 flag however node accepts it spelled: dashes, underscores, its --no- form", () => {
    expect(operatorChose("heap-growing-percent", ["--heap-growing-percent=30"])).toBe(true);
    expect(operatorChose("heap-growing-percent", ["--heap_growing_percent=30"])).toBe(true);
    expect(operatorChose("liftoff-only", ["--no-liftoff-only"])).toBe(true);
    expect(operatorChose("liftoff-only", ["--no_liftoff_only"])).toBe(true);
  });

  it("does not see a flag the operator did not give", () => {
    expect(operatorChose("heap-growing-percent", [])).toBe(false);
    expect(operatorChose("heap-growing-percent", ["--max-old-space-size=512", "--conditions=x"])).toBe(false);
  });
});
