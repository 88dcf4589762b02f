/** Whether the operator gave a V8 flag themselves, on node's command line or in NODE_OPTIONS (which execArgv does not show). */
export function operatorChose(flag: string): boolean {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS?.split(/\s+/) ?? [])].some((given) => given.includes(flag));
}
