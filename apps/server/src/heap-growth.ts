/**
 * V8 lets the old generation grow to a fixed 2 × what survived its last full collection, instead of its own
 * factor of up to 4. Under load (64 connections) a request's objects outlive two scavenges and are promoted; with
 * V8's factor that garbage piled up to 120–170 MB of old space before the next full collection, about 80 MB of the
 * peak RSS above the hand-written baseline's, for a live set of 30–40 MB (docs/performance.md, "Memory under load").
 * 1.5 × kept less (peak 1.3–1.8× the baseline's) but its extra full collections cost the short calls: a vector
 * search's CPU +10–35%, its p99 2.5–3.3× the baseline's against 1.8–2.1× with V8's factor.
 * V8 reads the flag at each collection, so setting it here, before the server starts, is enough;
 * `--heap-growing-percent=…` given to node keeps the operator's choice. The fixed factor also replaces V8's smaller
 * ones (1.1 when it tries to shrink, ≤ 1.3 near --max-old-space-size): little at this live size.
 */
import { setFlagsFromString } from "node:v8";
import { operatorChose } from "./operator-flags.ts";

if (!operatorChose("heap-growing-percent")) setFlagsFromString("--heap-growing-percent=100");
