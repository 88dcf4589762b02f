import { defineConfig } from "prisma/config";

// The Prisma CLI insists on downloading a native schema engine before generate/validate/format, even though
// those never run it, and downloads are impossible offline. Any existing path skips the download.
// Migrations are applied by our own runner (src/migrate.ts) and generated through the wasm engine instead.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= "/bin/false";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: {
    url: process.env.DATABASE_URL?.startsWith("postgres") ? process.env.DATABASE_URL : "postgresql://localhost/unused",
  },
});
