/** Where a process's resident memory lies, from /proc/<pid>/smaps (Linux), by what its mappings hold. */
import { readFile } from "node:fs/promises";

const ARENA = 64 * 1024 * 1024;

/**
 * Resident kB by kind of mapping: the `node` binary and libraries, malloc's main arena (brk heap), glibc's arenas of
 * other threads (64 MB reservations, partly mapped), wasm memories (their pages, then a guard region of gigabytes),
 * and the rest of the anonymous memory (V8's heap and code, Buffers' backing stores outside malloc).
 */
export async function whereResident(pid: number): Promise<Record<string, number>> {
  const smaps = await readFile(`/proc/${pid}/smaps`, "utf8");
  const parts: Record<string, number> = {};
  const mappings: { start: number; end: number; perms: string; name: string; rss: number }[] = [];
  for (const block of smaps.split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    const [range = "", perms = "", , , , name = ""] = block.split("\n", 1)[0]!.split(/\s+/);
    const [start, end] = range.split("-").map((h) => parseInt(h, 16));
    mappings.push({ start: start!, end: end!, perms, name, rss: Number(/^Rss:\s+(\d+)/m.exec(block)?.[1] ?? 0) });
  }
  mappings.forEach((m, i) => {
    const next = mappings[i + 1];
    let kind: string;
    if (m.name === "[heap]") kind = "brk heap (malloc's main arena)";
    else if (m.name.startsWith("/")) kind = "files (node, libraries)";
    else if (m.name) kind = "other";
    else if (m.perms === "rw-p" && next?.perms === "---p" && next.start === m.end && next.end - next.start >= 2 ** 30)
      kind = "wasm memories";
    else if (m.start % ARENA === 0 && (m.end - m.start === ARENA || next?.end === m.start + ARENA))
      kind = "malloc arenas (threads)";
    else kind = "other anonymous (V8 heap, code, buffers)";
    parts[kind] = (parts[kind] ?? 0) + m.rss;
  });
  return parts;
}
