/** Versions this tab wrote itself: their change events are not "changed elsewhere", so they get no mark. */
const written = new Set<string>();

export function rememberOwnWrite(videoId: string, version: number): void {
  written.add(`${version}:${videoId}`);
}

export function isOwnWrite(videoId: string, version: number): boolean {
  return written.delete(`${version}:${videoId}`);
}
