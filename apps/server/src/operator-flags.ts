/**
 * Whether the operator gave a V8 flag themselves on node's command line (`--heap_growing_percent` and
 * `--heap-growing-percent` are one flag to V8). Node refuses these V8 flags in NODE_OPTIONS, so execArgv is all.
 */
export function operatorChose(flag: string, execArgv: readonly string[] = process.execArgv): boolean {
  const wanted = flag.replaceAll("_", "-");
  return execArgv.some((given) => given.replaceAll("_", "-").includes(wanted));
}
