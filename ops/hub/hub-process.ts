import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** The `sightline` launcher of this checkout (bin/sightline), from dist/ops/hub. */
const SIGHTLINE_BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'sightline');

/**
 * `sightline hub serve` as a separate process, as central runs apart from the appliance: for
 * the uplink bench and the tests that kill the hub mid-batch. Resolves once it listens.
 */
export class HubProcess {
  private exited: Promise<number | null>;
  /** Everything it printed on stderr (its log), for a failing test to show. */
  stderr = '';

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly enrollPort: number | null,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static start(args: { dir: string; port?: number; enroll?: boolean; extra?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<HubProcess> {
    const argv = ['hub', 'serve', '--dir', args.dir, '--listen', `127.0.0.1:${args.port ?? 0}`, '--json'];
    argv.push(...(args.enroll === false ? ['--no-enroll'] : ['--enroll-listen', '127.0.0.1:0']));
    argv.push(...(args.extra ?? []));
    const child = spawn(SIGHTLINE_BIN, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...args.env } });
    return new Promise((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`sightline hub serve did not start within ${args.timeoutMs ?? 30_000} ms\n${stderr}`));
      }, args.timeoutMs ?? 30_000);
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        for (const line of stdout.split('\n')) {
          if (!line.startsWith('{')) continue;
          const ready = JSON.parse(line) as { listening?: { port: number; enrollPort: number | null } };
          if (!ready.listening) continue;
          clearTimeout(timer);
          const hub = new HubProcess(child, ready.listening.port, ready.listening.enrollPort);
          child.stderr!.removeAllListeners('data');
          hub.stderr = stderr;
          child.stderr!.on('data', (c: string) => (hub.stderr += c));
          child.stdout!.removeAllListeners('data');
          child.stdout!.resume();
          resolve(hub);
          return;
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sightline hub serve exited (${code}) before listening\n${stderr}`));
      });
    });
  }

  /** Peak resident memory of the hub process so far, MB (Linux /proc), or null. */
  peakRssMb(): number | null {
    try {
      const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
      const kb = /VmHWM:\s+(\d+) kB/.exec(status);
      return kb ? Number(kb[1]) / 1024 : null;
    } catch {
      return null;
    }
  }

  /** SIGKILL: no close handshake, no flush; what was not committed is lost. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait for a clean exit. */
  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}
