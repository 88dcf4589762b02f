import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffMigrationsToSchema, isEmptyMigration, SCHEMA_PATH } from "../src/schema-engine.ts";
import { prepareClusterTemplate } from "../src/template.ts";

// A schema change without a migration would pass every test on a fresh database yet never reach a deployed one.
describe("schema.prisma has a matching migration", () => {
  const temp = mkdtemp(path.join(tmpdir(), "mm-drift-"));
  beforeAll(() => prepareClusterTemplate()); // the engine's databases are copies of it; its initdb runs here
  afterAll(async () => rm(await temp, { recursive: true, force: true }));

  it("the migrations produce exactly schema.prisma (else run pnpm db:migration <name>)", async () => {
    const sql = await diffMigrationsToSchema();
    expect(isEmptyMigration(sql), `schema.prisma is ahead of prisma/migrations:\n${sql}`).toBe(true);
  });

  it("catches a field added to the schema without a migration", async () => {
    const schemaPath = path.join(await temp, "schema.prisma");
    const schema = await readFile(SCHEMA_PATH, "utf8");
    const edited = schema.replace(/(model VideoAnalysis \{\n)/, "$1  driftCheck String?\n");
    expect(edited).not.toBe(schema);
    await writeFile(schemaPath, edited);
    const sql = await diffMigrationsToSchema({ schemaPath });
    expect(isEmptyMigration(sql)).toBe(false);
    expect(sql).toMatch(/ALTER TABLE "VideoAnalysis" ADD COLUMN\s+"driftCheck" TEXT/);
  });
});
