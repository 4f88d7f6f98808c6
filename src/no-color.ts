// The NO_COLOR convention (no-color.org), shared by the server's log lines and the console.

/** NO_COLOR set to anything but the empty string turns colour off (an empty value leaves it on). */
export function noColor(env: NodeJS.ProcessEnv): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== ''
}
