/** For tests of this and other packages: a real server over a fresh database (see @memory-mirror/db/testing). */
import { type CreateKeyInput, keyService } from "@memory-mirror/api";
import { createTestDatabase, type TestTargetName } from "@memory-mirror/db/testing";
import { createServer, loadConfig, type MemoryMirrorServer, type ServerConfig } from "./index.ts";
import type { CreateServerOptions } from "./server.ts";

export interface TestServer {
  url: string;
  server: MemoryMirrorServer;
  /** DATABASE_URL of the fresh database behind this server. */
  databaseUrl: string;
  /** Makes an API key straight in the server's database (as `pnpm keys:create` does) and returns the secret. */
  createKey(input: CreateKeyInput): Promise<string>;
  close(): Promise<void>;
}

/** A real server on a free port over a fresh database of the given kind; `close` stops it and drops the database. */
export async function startTestServer(
  target: TestTargetName,
  overrides: Partial<ServerConfig> = {},
  {
    env,
    ...options
  }: Pick<CreateServerOptions, "webDir" | "logger" | "collectAtRest"> & { env?: Record<string, string> } = {},
): Promise<TestServer> {
  const database = await createTestDatabase(target);
  const config = {
    ...loadConfig({ DATABASE_URL: database.url, PORT: "0", LOG_LEVEL: "silent", ...env }),
    ...overrides,
  };
  // Its clients run on this host: a request on its way arrives within microseconds, no need to wait 500 ms.
  const server = createServer(config, { database: database.options, idleGraceMs: 20, ...options });
  const url = await server.start();
  return {
    url,
    server,
    databaseUrl: database.url,
    createKey: async (input) => (await keyService.create({ prisma: server.database.prisma }, input)).key,
    async close() {
      await server.stop();
      await database.drop();
    },
  };
}
