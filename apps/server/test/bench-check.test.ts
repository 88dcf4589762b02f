import { describe, expect, it } from "vitest";
import { cpuRatios, type Row } from "../bench/check.ts";

const row = (name: string, cpuMsPerRequest: number, extra: Partial<Row> = {}): Row => ({
  name,
  ratioToBaseline: extra.baseline ? 0.5 : 1,
  profile: { cpuMsPerRequest },
  ...extra,
});

describe("the bench's CI check (bench/check.ts)", () => {
  it("compares each service row's CPU per unit with the baseline measured just above it, PostgreSQL rows only", () => {
    const ratios = cpuRatios({
      machine: { cpus: 2, load: [1, 1, 1] },
      params: { quick: true },
      results: [
        row("baseline: one lookup", 0.2),
        row("tRPC byVideoId", 2, { baseline: "baseline: one lookup" }),
        // The same baseline again, measured later: the next row pairs with this one.
        row("baseline: one lookup", 0.1),
        row("tRPC byVideoIds of 100", 50, { baseline: "baseline: one lookup", perRequest: 100 }),
        row("tRPC byVideoId [embedded]", 9, { baseline: "baseline: one lookup" }),
        row("tRPC byVideoId [1 replica]", 9, { baseline: "tRPC byVideoId" }),
      ],
    });
    expect(ratios).toEqual([
      { name: "tRPC byVideoId", ratio: 10 },
      { name: "tRPC byVideoIds of 100", ratio: 5 },
    ]);
  });
});
