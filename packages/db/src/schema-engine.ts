/**
 * Prisma's schema engine compiled to wasm, for what `prisma migrate diff/dev` would do: the native engine the CLI
 * wants cannot be downloaded here. `@prisma/schema-engine-wasm` is an internal package: keep it pinned exactly.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PGlite } from "@electric-sql/pglite";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import * as bg from "@prisma/schema-engine-wasm/schema_engine_bg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { MIGRATIONS_DIR, readMigrations } from "./migrate.ts";
import { openTemplatePGlite } from "./template.ts";

export const SCHEMA_PATH = path.resolve(MIGRATIONS_DIR, "../schema.prisma");

let loaded: Promise<void> | undefined;

// @types/node 20 declares WebAssembly's types but not the global object (the tsconfig has no DOM lib).
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
interface WasmApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, object>,
  ): Promise<{ instance: { exports: { __wbindgen_start(): void } } }>;
}

/**
 * The package's entry imports the .wasm file as an ES module, which Node 20 cannot do; so the module is
 * instantiated by hand once per process against the JS glue (which owns the engine's single wasm memory).
 */
function loadWasm(): Promise<void> {
  loaded ??= (async () => {
    // The .wasm file is not in the package's exports: find it next to the glue.
    const glue = import.meta.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const bytes = await readFile(fileURLToPath(glue.replace(/\.js$/, ".wasm")));
    const { instance } = await wasmApi.instantiate(bytes, { "./schema_engine_bg.js": bg });
    bg.__wbg_set_wasm(instance.exports);
    instance.exports.__wbindgen_start();
  })();
  return loaded;
}

/**
 * Runs `fn` with an engine connected through `adapter`, then frees the engine. The default is a throwaway in-memory
 * PGlite, plus in-memory PGlite shadow databases the engine replays migrations into, all copies of one initdb'd
 * template (template.ts), so a diff pays for initdb once per process instead of once per database.
 */
export async function withSchemaEngine<T>(
  fn: (engine: bg.SchemaEngine) => Promise<T>,
  options: { adapter?: SqlMigrationAwareDriverAdapterFactory; schemaPath?: string } = {},
): Promise<T> {
  await loadWasm();
  const schemaPath = options.schemaPath ?? SCHEMA_PATH;
  const owned: Promise<PGlite>[] = [];
  try {
    const adapter = options.adapter ?? (await throwawayPGlite(owned));
    const engine = await bg.SchemaEngine.new(
      { datamodels: [[schemaPath, await readFile(schemaPath, "utf8")]] },
      () => {}, // the engine's log lines (JSON tracing); nothing we need
      bindMigrationAwareSqlAdapterFactory(adapter),
    );
    try {
      return await fn(engine);
    } finally {
      engine.free();
    }
  } finally {
    await Promise.all(owned.map(async (db) => (await db.catch(() => undefined))?.close()));
  }
}

/**
 * PrismaPGlite's own connectToShadowDb opens a PGlite it never closes (its adapter's dispose is a no-op);
 * this one records every instance so they can be closed with the engine.
 */
async function throwawayPGlite(owned: Promise<PGlite>[]): Promise<SqlMigrationAwareDriverAdapterFactory> {
  const open = async () => {
    const db = openTemplatePGlite();
    owned.push(db);
    return new PrismaPGlite(await db);
  };
  const main = await open();
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: () => main.connect(),
    connectToShadowDb: async () => (await open()).connect(),
  };
}

/** The migrations directory in the shape the engine (and Prisma's CLI) hands it over. */
export async function loadMigrationList(migrationsDir = MIGRATIONS_DIR): Promise<bg.MigrationList> {
  const baseDir = path.resolve(migrationsDir);
  const lock = await readFile(path.join(baseDir, "migration_lock.toml"), "utf8").catch(() => null);
  return {
    baseDir,
    lockfile: { path: "migration_lock.toml", content: lock },
    shadowDbInitScript: "",
    migrationDirectories: (await readMigrations(baseDir)).map((m) => ({
      path: m.name,
      migrationFile: { path: "migration.sql", content: { tag: "ok", value: m.sql } },
    })),
  };
}

export const NO_FILTERS: bg.SchemaFilter = { externalTables: [], externalEnums: [] };

/**
 * The SQL that brings a database migrated with `migrationsDir` to `schemaPath` (`prisma migrate diff
 * --from-migrations … --to-schema … --script`). Comment-only ("-- This is an empty migration.") when in sync:
 * check with `isEmptyMigration`.
 */
export async function diffMigrationsToSchema(
  options: { migrationsDir?: string; schemaPath?: string } = {},
): Promise<string> {
  const schemaPath = path.resolve(options.schemaPath ?? SCHEMA_PATH);
  const from = await loadMigrationList(options.migrationsDir);
  const content = await readFile(schemaPath, "utf8");
  return withSchemaEngine(
    async (engine) => {
      const result = await engine.diff({
        from: { tag: "migrations", ...from },
        to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content }] },
        script: true,
        exitCode: null,
        filters: NO_FILTERS,
      });
      return result.stdout ?? "";
    },
    { schemaPath },
  );
}

/** True when SQL has no statements, only comments and blank lines. */
export function isEmptyMigration(sql: string): boolean {
  return sql.split("\n").every((line) => line.trim() === "" || line.trim().startsWith("--"));
}
