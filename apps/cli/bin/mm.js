#!/usr/bin/env node
// The CLI runs from its TypeScript sources (no build step, like the server): load tsx, then the entry point.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
