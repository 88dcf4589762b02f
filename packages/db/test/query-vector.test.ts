/**
 * A query vector's parameter (query-vector.ts): pgvector's binary form on PostgreSQL, its text on the embedded
 * database, and either way the very float4s the text form gives, which every search compared with before.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryDriverSql } from "../src/driver-queries.ts";
import { databaseErrorKind } from "../src/errors.ts";
import { Prisma } from "../src/generated/prisma/client.ts";
import { QueryVector } from "../src/query-vector.ts";
import { openTestDb, testTargets } from "../src/testing.ts";

const targets = await testTargets();

/** 1 + 2^-24, exactly halfway between the float4s 1 and 1 + 2^-23: its shortest decimal lies above it. */
const HALFWAY = 1 + 2 ** -24;
/** 1 + 3 × 2^-24, halfway between 1 + 2^-23 and 1 + 2^-22, which float4 rounding goes up to (its even neighbour). */
const HALFWAY_UP = 1 + 3 * 2 ** -24;
/** A double just below HALFWAY: float4 rounding gives 1 whichever form is sent. */
const BELOW_HALFWAY = 1 + 2 ** -24 - 2 ** -52;

/** A fixed sequence of doubles of full precision, as Math.random's are (the vectors must be the same on every run). */
function doubles(seed: number, count: number, scale: (u: number, i: number) => number): number[] {
  return Array.from({ length: count }, (_, i) => scale(Math.sin(seed + i * 1.7) / 2, i));
}

const VECTORS: Record<string, number[]> = {
  "256 values of the bench's kind": doubles(1, 256, (u) => u),
  "values across float4's range": doubles(2, 256, (u, i) => u * 10 ** ((i % 76) - 38)),
  "subnormal float4s and ones below them": doubles(3, 64, (u, i) => u * 10 ** (-38 - (i % 12))),
  "near float4's largest": doubles(4, 16, (u) => 3.4028234e38 * (1 - Math.abs(u) * 1e-9) * Math.sign(u || 1)),
  "negative zero beside ones (JSON writes it 0)": [-0, 1, -1, 0.5],
  "negative values too small for a float4 (their text is -0)": [-1e-50, 1e-50, 1],
  "a value exactly halfway between two float4s": [HALFWAY, 0.25, -0.75],
  "a value just short of halfway": [BELOW_HALFWAY, 0.25],
  "the same halfway value negated": [-HALFWAY, 0.25],
  "a halfway value rounded away from zero": [0.5, -HALFWAY_UP],
};

describe("a query vector's binary form", () => {
  it("is pgvector's: dimensions, a zero, then big-endian float4s", () => {
    const form = new QueryVector([1, -0.5, 3]).binary();
    expect(form?.toString("hex")).toBe("00030000" + "3f800000" + "bf000000" + "40400000");
  });

  it("is given up for a value halfway between two float4s or beyond their range, whose text rounds otherwise", () => {
    expect(new QueryVector([0.5, HALFWAY]).binary()).toBeNull();
    expect(new QueryVector([-HALFWAY]).binary()).toBeNull();
    expect(new QueryVector([1e39]).binary()).toBeNull();
    expect(new QueryVector([BELOW_HALFWAY]).binary()).not.toBeNull();
    for (const [name, values] of Object.entries(VECTORS))
      expect(new QueryVector(values).binary() === null, name).toBe(
        values.some((x) => Math.abs(x) === HALFWAY || Math.abs(x) === HALFWAY_UP),
      );
  });

  it("is pgvector's text as JSON writes it", () => {
    expect(new QueryVector([1, -0.5, 1e-7]).text()).toBe("[1,-0.5,1e-7]");
  });
});

for (const target of targets)
  describe.skipIf(!!target.skip)(`a query vector bound on the ${target.name} database`, () => {
    let db: Awaited<ReturnType<typeof openTestDb>>;
    beforeAll(async () => {
      db = await openTestDb(target.name);
    });
    afterAll(async () => {
      await db?.dispose();
    });

    const one = async (statement: Prisma.Sql) => (await queryDriverSql(db.prisma, statement)).rows[0]?.[0];

    it("goes in pgvector's binary form on PostgreSQL and as text on the embedded database", async () => {
      const vector = new QueryVector([1, -0.5, 3]);
      // Read as bytea the binary form is its 4 + 4 × 3 bytes; as text, the 10 characters of "[1,-0.5,3]".
      if (target.name === "postgres") expect(await one(Prisma.sql`SELECT octet_length(${vector}::bytea)`)).toBe(16);
      else expect(await one(Prisma.sql`SELECT ${vector}::text`)).toBe("[1,-0.5,3]");
    });

    for (const [name, values] of Object.entries(VECTORS))
      it(`gives the float4s its text gives: ${name}`, async () => {
        const vector = new QueryVector(values);
        // vector_send: the float4s' own bits, -0 and subnormals included (equality would call -0 and 0 the same).
        const bits = (value: Prisma.Sql) => Prisma.sql`encode(vector_send(${value}), 'hex')`;
        const sent = await one(Prisma.sql`SELECT ${bits(Prisma.sql`${vector}::vector`)}`);
        const fromText = await one(Prisma.sql`SELECT ${bits(Prisma.sql`${vector.text()}::text::vector`)}`);
        expect(sent).toBe(fromText);
        expect(String(sent)).toHaveLength(8 + 8 * values.length);
      });

    it("still refuses a value beyond float4's range as out of range, as its text always was (a 400)", async () => {
      const error = await one(Prisma.sql`SELECT ${new QueryVector([1, 1e39])}::vector(2)`).catch((e: unknown) => e);
      expect(databaseErrorKind(error)).toBe("value_out_of_range");
    });
  });
