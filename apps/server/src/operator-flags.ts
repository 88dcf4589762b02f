/**
 * Whether the operator gave a V8 flag themselves on node's command line (`--heap_growing_percent` and
 * `--heap-growing-percent` are one flag to V8). Node (20) refuses the flags asked about here (heap-growing-percent,
 * liftoff-only) in NODE_OPTIONS, so execArgv is all; it would not hold for flags NODE_OPTIONS accepts (--expose-gc).
 */
export function operatorChose(flag: string, execArgv: readonly string[] = process.execArgv): boolean {
  const wanted = flag.replaceAll("_", "-");
  return execArgv.some((given) => given.replaceAll("_", "-").includes(wanted));
}
