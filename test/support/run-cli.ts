import { spawn } from 'node:child_process';
import * as path from 'node:path';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  lines: string[];
}

// The installed command itself (the shell launcher), as a user or a service runs it.
export const SIGHTLINE_BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'sightline');

/** Runs `sightline ARGS` as a real child process and collects what it prints. */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number; onStdout?: (chunk: string) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(SIGHTLINE_BIN, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      options.onStdout?.(c);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sightline ${args.join(' ')} did not finish in ${options.timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, lines: stdout.split('\n').filter((l) => l.trim() !== '') });
    });
  });
}

export function lastJson<T = Record<string, unknown>>(result: CliResult): T {
  const last = result.lines[result.lines.length - 1];
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`last line is not JSON: ${last}\nstderr: ${result.stderr}`);
  }
}
