/** Collects what a command function writes to stdout and stderr while `fn` runs (lines, without the newline). */
export async function captureOutput<T>(fn: () => Promise<T> | T): Promise<{ result: T; stdout: string[]; stderr: string[] }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const collect = (into: string[]) => (chunk: string | Uint8Array): boolean => {
    into.push(...String(chunk).split('\n').filter((l) => l !== ''));
    return true;
  };
  process.stdout.write = collect(stdout) as typeof process.stdout.write;
  process.stderr.write = collect(stderr) as typeof process.stderr.write;
  try {
    return { result: await fn(), stdout, stderr };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}
