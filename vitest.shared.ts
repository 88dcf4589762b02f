/**
 * Every package's vitest.config.ts passes this to vitest's defineConfig (vitest itself is a dependency of the
 * packages, not of the root): tests run from the sources of all workspace packages, with no build.
 */

/** The export condition under which workspace packages resolve to their src/*.ts (see tsconfig.source.json). */
const SOURCE_CONDITION = "@memory-mirror/source";

export default {
  // Vite's default server conditions with ours first; vitest also passes them to its worker processes (--conditions).
  ssr: { resolve: { conditions: [SOURCE_CONDITION, "module", "node", "development|production"] } },
  test: {
    // Node processes the tests spawn (the server's main.ts, the CLI's bin) resolve workspace packages to sources too.
    env: { NODE_OPTIONS: [process.env.NODE_OPTIONS, `--conditions=${SOURCE_CONDITION}`].filter(Boolean).join(" ") },
    // Test files share their worker's modules instead of importing everything again per file: PGlite's wasm, Prisma's
    // client and the server's stack are compiled once per worker, not once per file (tests cost ≈ 30% less CPU:
    // server 84 → 58 s, api 33 → 16 s). Files must not rely on fresh module state; none does (each builds its own
    // databases, servers and callers).
    isolate: false,
    // Opening an embedded database runs initdb in wasm (seconds on a busy 2-core machine).
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
};
