/**
 * `pnpm db:migrate`: applies pending migrations to the database DATABASE_URL names (`prisma migrate deploy`, which
 * cannot run offline). Errors are printed as one readable message, not a stack: they are usually configuration.
 */
import { createDb, type Database } from "../client.ts";
import { describeDatabase, loadDatabaseConfig } from "../config.ts";

/** One line for any error: Node reports a refused "localhost" connection as an AggregateError with no message. */
function describeError(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(describeError).join("; ");
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

async function main(): Promise<void> {
  // .env in the working directory, as the server reads it; variables already set in the environment win.
  try {
    process.loadEnvFile(".env");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const config = loadDatabaseConfig(process.env);
  const where = describeDatabase(config);
  let db: Database | undefined;
  try {
    db = await createDb(config);
    const { applied, edited } = await db.migrate();
    if (applied.length === 0) console.log(`Database is up to date (${where}).`);
    else console.log(`Applied ${applied.length} migration(s) to ${where}:\n${applied.map((n) => `  ${n}`).join("\n")}`);
    if (edited.length > 0) {
      console.warn(
        `Warning: these migrations were changed after they were applied (Prisma reports them as modified):\n` +
          `${edited.map((n) => `  ${n}`).join("\n")}\n` +
          `Restore the applied version and put further changes in a new migration (pnpm db:migration <name>).`,
      );
    }
  } catch (error) {
    throw new Error(`${where}: ${describeError(error)}`, { cause: error });
  } finally {
    await db?.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`Migration failed: ${describeError(error)}`);
    process.exit(1);
  },
);
