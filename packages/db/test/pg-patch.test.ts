/**
 * Guards patches/pg@8.23.1.patch (see patches/README.md): the pg this package loads carries it, and pg still answers
 * both row shapes and still copies a query's config rather than changing the caller's.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_POSTGRES_URL, testTargets } from "../src/testing.ts";

const postgres = (await testTargets()).find((target) => target.name === "postgres");

describe("the pg patch", () => {
  it("is applied to the pg this package loads (patches/README.md)", async () => {
    const lib = path.dirname(createRequire(import.meta.url).resolve("pg"));
    const patched: [string, string][] = [
      ["result.js", "// memory-mirror patch: the empty row object only for object rows"],
      ["utils.js", "// memory-mirror patch: a plain object (what callers pass) is copied by spread"],
    ];
    for (const [file, marker] of patched)
      expect(await readFile(path.join(lib, file), "utf8"), `${file} should carry the patch`).toContain(marker);
  });

  describe.skipIf(!!postgres?.skip)("on PostgreSQL", () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    beforeAll(() => client.connect());
    afterAll(() => client.end());
    const text = `SELECT $1::text AS "a", NULL::int AS "b", 2 AS "c"`;

    it("answers rows as arrays in array mode, and as objects with every column (nulls too) otherwise", async () => {
      const asArrays = await client.query({ text, values: ["x"], rowMode: "array" });
      expect(asArrays.rows).toEqual([["x", null, 2]]);
      const asObjects = await client.query({ text, values: ["x"] });
      expect(asObjects.rows).toEqual([{ a: "x", b: null, c: 2 }]);
      expect(Object.keys(asObjects.rows[0] as object)).toEqual(["a", "b", "c"]);
    });

    it("leaves a plain config as the caller made it", async () => {
      const config = { text, values: ["x"] };
      await client.query(config);
      expect(config).toEqual({ text, values: ["x"] });
    });

    it("keeps a config's prototype when it is not a plain object (its getters still read)", async () => {
      class Statement {
        values = ["y"];
        get text() {
          return text;
        }
      }
      const result = await client.query(new Statement());
      expect(result.rows).toEqual([{ a: "y", b: null, c: 2 }]);
    });
  });
});
