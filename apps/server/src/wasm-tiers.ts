/**
 * The server's WebAssembly (PGlite's PostgreSQL, Prisma's query compiler) runs on V8's baseline compiler, Liftoff,
 * only. By default V8 recompiles hot wasm functions with TurboFan on its worker threads, and for modules this big
 * that compilation's memory stays in the workers' malloc arenas, freed but never given back: it was ~90 MB of an
 * idle embedded server's RSS and ~60 MB of a PostgreSQL-backed one's, for no CPU per request measured
 * (docs/performance.md, "Memory at rest"). main.ts imports this first: the flag holds for modules compiled after it
 * is set, and nothing compiles wasm before. `--no-liftoff-only` (on node's command line, or in BENCH_NODE_FLAGS)
 * keeps V8's default.
 */
import { setFlagsFromString } from "node:v8";
import { operatorChose } from "./operator-flags.ts";

if (!operatorChose("liftoff-only")) setFlagsFromString("--liftoff-only");
