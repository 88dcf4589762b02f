import { createTestDatabase, type TestTargetName } from "@memory-mirror/db/testing";
import { createServer, loadConfig } from "@memory-mirror/server";

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/** A real server on a free port over a fresh database; mirrors apps/server/test/helpers.ts, which is not exported. */
export async function startTestServer(target: TestTargetName): Promise<TestServer> {
  const database = await createTestDatabase(target);
  const server = createServer(loadConfig({ DATABASE_URL: database.url, PORT: "0", LOG_LEVEL: "silent" }));
  const url = await server.start();
  return {
    url,
    async close() {
      await server.stop();
      await database.drop();
    },
  };
}
