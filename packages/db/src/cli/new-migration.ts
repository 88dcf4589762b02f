/**
 * `pnpm db:migration <name>`: writes the SQL that brings the committed migrations up to prisma/schema.prisma as a new
 * migration, in Prisma's layout — what `prisma migrate dev --create-only` would do, offline and with no database.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { MIGRATIONS_DIR, readMigrations } from "../migrate.ts";
import { diffMigrationsToSchema, isEmptyMigration } from "../schema-engine.ts";

// Lower snake case: it becomes a directory name and a `_prisma_migrations` row (VARCHAR(255) with the timestamp).
const NAME = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const MAX_NAME = 100;

/** Prisma's migration timestamp: UTC YYYYMMDDHHMMSS. */
export function migrationTimestamp(date = new Date()): string {
  return date.toISOString().replace(/\D/g, "").slice(0, 14);
}

async function main(args: string[]): Promise<number> {
  const name = args[0];
  if (!name || args.length > 1 || !NAME.test(name) || name.length > MAX_NAME) {
    console.error(
      `Usage: pnpm db:migration <name>\n` +
        `The name must be lower snake_case (a-z, 0-9, single underscores, starting with a letter, at most ` +
        `${MAX_NAME} characters), e.g. add_video_title${name ? `; got "${args.join(" ")}"` : ""}.`,
    );
    return 2;
  }

  const sql = await diffMigrationsToSchema();
  if (isEmptyMigration(sql)) {
    console.log("Schema and migrations are in sync; nothing to generate.");
    return 0;
  }

  const dirName = `${migrationTimestamp()}_${name}`;
  // Migrations apply in name order: a new one must sort last or it would be skipped where the others ran.
  const last = (await readMigrations()).at(-1)?.name;
  if (last && dirName <= last) {
    console.error(`${dirName} would sort before the existing ${last}; is the clock right?`);
    return 1;
  }
  const dir = path.join(MIGRATIONS_DIR, dirName);
  await mkdir(dir); // not recursive: fails rather than overwrite a migration made in the same second
  const file = path.join(dir, "migration.sql");
  await writeFile(file, sql);
  // pnpm runs scripts in the package; INIT_CWD is where the user typed the command.
  console.log(
    `Wrote ${path.relative(process.env.INIT_CWD ?? process.cwd(), file)}\nReview it, then apply it with pnpm db:migrate.`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`Could not generate a migration: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
