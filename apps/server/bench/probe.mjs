/**
 * Loaded into every server the benchmark starts (`node --import probe.mjs`), the hand-written baselines too, so the
 * two are watched the same way: event-loop delay (monitorEventLoopDelay), GC pauses (PerformanceObserver) and CPU
 * time. The harness asks over the IPC channel ("probe:read") at the end of each scenario; each read starts a new
 * window. "probe:memory" answers the process's memory after a full collection (fan-out's memory per stream); "probe:heap" its memory
 * and V8's heap spaces as they are, without collecting (load-memory.ts). Plain JavaScript so the built server runs it without a TypeScript loader.
 */
import cluster from "node:cluster";
import { getHeapSpaceStatistics } from "node:v8";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";

const RESOLUTION_MS = 10;
const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
delay.enable();

let gc = { count: 0, totalMs: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count += 1;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
  }
}).observe({ entryTypes: ["gc"] });

let cpu = process.cpuUsage();
let since = performance.now();

// The histogram holds whole timer intervals: what lies beyond the resolution is the delay.
const beyond = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);

// A cluster worker's channel is its primary's (WORKERS > 1): unreferenced, the worker would exit while it waits
// there for its listening socket. The harness reads the process it started.
const listen = !cluster.isWorker && process.channel;
if (listen)
  process.on("message", (message) => {
    if (message === "probe:memory") {
      // A full collection first (when started with --expose-gc), so two reads compare live memory, not garbage.
      globalThis.gc?.();
      globalThis.gc?.();
      const { rss, heapUsed, external } = process.memoryUsage();
      process.send?.({ memory: { rss, heapUsed, external, collected: typeof globalThis.gc === "function" } });
      return;
    }
    if (message === "probe:heap") {
      // Where V8's heap is, without collecting first: what the process holds while under load.
      const spaces = Object.fromEntries(
        getHeapSpaceStatistics().map((s) => [
          s.space_name,
          { used: s.space_used_size, committed: s.physical_space_size },
        ]),
      );
      process.send?.({ heap: { spaces, ...process.memoryUsage() } });
      return;
    }
    if (message !== "probe:read") return;
    const used = process.cpuUsage(cpu);
    const elapsedMs = performance.now() - since;
    process.send?.({
      probe: {
        elapsedMs,
        cpuMs: (used.user + used.system) / 1000,
        eventLoopDelayMs: {
          p50: beyond(delay.percentile(50)),
          p99: beyond(delay.percentile(99)),
          max: beyond(delay.max),
        },
        gc,
      },
    });
    delay.reset();
    gc = { count: 0, totalMs: 0, maxMs: 0 };
    cpu = process.cpuUsage();
    since = performance.now();
  });
// The channel alone must not keep a server alive that is shutting down.
if (listen) process.channel.unref();
