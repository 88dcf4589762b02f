/**
 * `pnpm keys:create --admin [--name NAME]`: makes a key straight in the database, for the first admin key (every
 * later key can come from `mm keys create` over the API with it), like Django's createsuperuser. Prints the key
 * once on stdout; what it is goes to stderr.
 */
// First: .env must be in process.env before the other modules load (see env-file.ts).
import "../env-file.ts";
import { parseArgs } from "node:util";
import { ANY_SPACE, createKeyInput, KEY_SCOPES, keyService } from "@memory-mirror/api";
import { createDb, type Database, DatabaseConfigError, parseDatabaseUrl } from "@memory-mirror/db";

const USAGE = `Usage: pnpm keys:create --admin [--name NAME]
       pnpm keys:create --space SPACE --scope read,write [--name NAME] [--expires ISO]
Creates an API key in the database DATABASE_URL names and prints it (shown once).
With the embedded database, stop the server first: one process owns its directory.`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        admin: { type: "boolean" },
        name: { type: "string" },
        space: { type: "string" },
        scope: { type: "string" },
        expires: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const parsed = createKeyInput.safeParse({
    name: values.name ?? (values.admin ? "admin" : undefined),
    space: values.admin ? ANY_SPACE : values.space,
    scopes: values.admin ? [...KEY_SCOPES] : (values.scope?.split(",").map((s) => s.trim()) ?? []),
    expiresAt: values.expires ?? null,
  });
  if (!parsed.success) {
    console.error(
      `${parsed.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("\n")}\n${USAGE}`,
    );
    return 2;
  }
  let db: Database | undefined;
  try {
    const database = parseDatabaseUrl(process.env.DATABASE_URL);
    if (database.kind === "embedded" && database.dataDir === undefined) {
      console.error(
        "DATABASE_URL=memory: keeps nothing: a key made there would vanish when this command exits. Point " +
          "DATABASE_URL at the server's database (unset for ./data, file:<dir>, or postgresql://…).",
      );
      return 2;
    }
    db = await createDb(database);
    await db.migrate();
    const { key, info } = await keyService.create({ prisma: db.prisma }, parsed.data);
    console.log(key);
    console.error(
      `Created key "${info.name}" (${info.scopes.join(", ")}) for ${info.space === ANY_SPACE ? "every space" : `space ${info.space}`}. ` +
        "It is shown only this once: store it now (e.g. MM_API_KEY for mm).",
    );
    return 0;
  } catch (error) {
    if (error instanceof DatabaseConfigError || (error as Error).name === "ConflictError") {
      console.error((error as Error).message);
      return 1;
    }
    throw error;
  } finally {
    await db?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`Could not create the key: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
