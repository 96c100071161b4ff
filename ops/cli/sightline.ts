import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../../firmware/config/config-error';
import { CliError } from './cli-error';
import { SPLITS, type Split } from '../bench/holdout';
import type { HotlistBenchCommandOptions } from './bench-command';

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number greater than 0');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be an integer of at least 1');
  return n;
}

const configOption = () => new Option('-c, --config <file>', 'appliance config (YAML or JSON); defaults apply without one');
/** Which part of a labelled set: training never uses the held-out part (ops/bench/holdout). */
const splitOption = (heldOut: string, selection?: string) =>
  new Option(
    '--split <split>',
    `all, heldout (${heldOut}, by a hash of the file name, never used in training)` +
      (selection ? `, selection (${selection}: never trained on, training picks its checkpoint there)` : '') +
      ' or train',
  )
    .choices(selection ? SPLITS : SPLITS.filter((s) => s !== 'selection'))
    .default('all');

/**
 * Builds the `sightline` command line; each subcommand is a thin shell over a module, loaded only
 * when that subcommand runs (so `config check` does not load OpenCV or onnxruntime).
 */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('sightline')
    .description('Sightline ALPR appliance runtime')
    .showHelpAfterError()
    .exitOverride();
  const run = <A extends unknown[]>(fn: (...args: A) => Promise<number> | number) =>
    async (...args: A) => setExit(await fn(...args));

  program
    .command('run')
    .description('run the appliance: camera to reads, printed as they are made')
    .addOption(configOption())
    .option('--for <seconds>', 'stop by itself after this many seconds', positiveNumber)
    .option('--json', 'print reads as JSON lines and a JSON summary as the last line')
    .option('--demo-hub', 'also run a reference hub on loopback (throwaway fleet CA in DATA/demo-hub), enroll with it and upload there')
    .action(run(async (options: { config?: string; for?: number; json?: boolean; demoHub?: boolean }) => (await import('./run-command')).runCommand(options)));

  program
    .command('read')
    .description('recognize still images; one JSON object per image')
    .argument('<image...>', 'image files (JPEG, PNG, BMP, WebP, TIFF)')
    .addOption(configOption())
    .option('--crops <dir>', 'also write each candidate\'s plate crop (JPEG) into this folder')
    .option('--workers <n>', 'recognizer worker threads', positiveInt)
    .action(run(async (images: string[], options: { config?: string; crops?: string; workers?: number }) => (await import('./read-command')).readCommand(images, options)));

  const bench = program.command('bench').description('measure accuracy and speed');
  bench
    .command('accuracy')
    .description('read labelled images (OpenALPR benchmark format) and score the best readings')
    .argument('<dir>', 'folder of images with NAME.txt labels beside them')
    .addOption(configOption())
    .option('--workers <n>', 'recognizer worker threads (latency is per image either way)', positiveInt)
    .addOption(splitOption('half of the photos'))
    .option('--json', 'print the summary as a JSON last line')
    .action(run(async (dir: string, options: { config?: string; workers?: number; split: Split; json?: boolean }) => (await import('./bench-command')).benchAccuracyCommand(dir, options)));
  bench
    .command('ocr')
    .description('read labelled plate crops (groundtruth.csv: file,state,PLATE) with the plate OCR alone, one thread')
    .argument('<dir>', 'folder of plate crops with groundtruth.csv')
    .addOption(configOption())
    .addOption(splitOption('a fifth of the crops', 'a tenth of the crops'))
    .option('--json', 'print the summary as a JSON last line')
    .action(run(async (dir: string, options: { config?: string; split: Split; json?: boolean }) => (await import('./bench-command')).benchOcrCommand(dir, options)));
  bench
    .command('pipeline')
    .description('run the synthetic camera live through the whole appliance and score the reads')
    .addOption(configOption())
    .option('--seconds <s>', 'how long to run', positiveNumber, 30)
    .option('--seed <n>', 'scene seed', positiveInt, 1)
    .option('--hotlist-entries <n>', 'hold this many hotlist entries, plus the demo hub\'s DEMO list, whose plates are shown on 10% of vehicles (default 0: no hotlists)', (v: string) => Number(v), 0)
    .option('--json', 'print the summary as a JSON last line')
    .action(run(async (options: { config?: string; seconds?: number; seed?: number; hotlistEntries?: number; json?: boolean }) => (await import('./bench-command')).benchPipelineCommand(options)));

  const store = program.command('store').description('the encrypted read store: statistics, purge, evidence holds, deletions, corrections');
  const storeCmd = () => import('./store-command');
  const userOption = () => new Option('--user <name>', 'who does it, recorded with the action (default: the login name)');
  store
    .command('stats')
    .description('counts and bytes per class and state, quota use, losses, oldest and newest (no plate data)')
    .addOption(configOption())
    .option('--json', 'print one JSON object')
    .action(run(async (options: { config?: string; json?: boolean }) => (await storeCmd()).storeStatsCommand(options)));
  store
    .command('purge')
    .description('purge expired records now: destroy their epochs\' keys, delete the rows, truncate the WAL')
    .addOption(configOption())
    .option('--json', 'print one JSON object')
    .action(run(async (options: { config?: string; json?: boolean }) => (await storeCmd()).storePurgeCommand(options)));
  store
    .command('hold')
    .description('place an evidence hold: the read survives purge and ring pressure until released')
    .argument('<id>', 'read id')
    .requiredOption('--case <number>', 'case number')
    .requiredOption('--reason <text>', 'why it is held')
    .addOption(userOption())
    .addOption(configOption())
    .action(run(async (id: string, options: { case: string; reason: string; user?: string; config?: string }) => (await storeCmd()).storeHoldCommand(id, options)));
  store
    .command('release')
    .description('release an evidence hold; normal retention applies again')
    .argument('<id>', 'read id')
    .addOption(userOption())
    .addOption(configOption())
    .action(run(async (id: string, options: { user?: string; config?: string }) => (await storeCmd()).storeReleaseCommand(id, options)));
  store
    .command('delete')
    .description('delete a read captured against the rules; who, when and why are recorded, the plate is not kept')
    .argument('<id>', 'read id')
    .requiredOption('--reason <text>', 'why it is deleted')
    .addOption(userOption())
    .addOption(configOption())
    .action(run(async (id: string, options: { reason: string; user?: string; config?: string }) => (await storeCmd()).storeDeleteCommand(id, options)));
  store
    .command('correct')
    .description('correct a wrong read\'s plate; the recognizer\'s reading is kept sealed beside it')
    .argument('<id>', 'read id')
    .requiredOption('--plate <text>', 'the right plate, A-Z and 0-9')
    .requiredOption('--reason <text>', 'why it is corrected')
    .addOption(userOption())
    .addOption(configOption())
    .action(run(async (id: string, options: { plate: string; reason: string; user?: string; config?: string }) => (await storeCmd()).storeCorrectCommand(id, options)));
  store
    .command('show')
    .description('show one read\'s plate data; the access is recorded with user, agency, purpose and case (all required)')
    .argument('<id>', 'read id')
    .option('--user <name>', 'who is looking')
    .option('--agency <name>', 'their agency')
    .option('--purpose <text>', 'what for ("investigation" alone is not a purpose)')
    .option('--case <number>', 'case or incident number')
    .option('--crop <file>', 'also write the plate crop (JPEG) to this file')
    .addOption(configOption())
    .action(run(async (id: string, options: { user?: string; agency?: string; purpose?: string; case?: string; crop?: string; config?: string }) => (await storeCmd()).storeShowCommand(id, options)));

  bench
    .command('store')
    .description('encrypted store throughput: insert (20 KB crops), purge of expired reads, insert while the ring evicts')
    .addOption(configOption())
    .option('--dir <dir>', 'where the throwaway stores go (the disk the appliance uses; default the temp directory)')
    .option('--reads <n>', 'reads inserted then purged', positiveInt, 100_000)
    .option('--batch <n>', 'reads per transaction', positiveInt, 500)
    .option('--crop-bytes <n>', 'size of each read\'s crop', positiveInt, 20 * 1024)
    .option('--json', 'print the full result as JSON; the last line is always the JSON summary')
    .action(run(async (options: { config?: string; dir?: string; reads: number; batch: number; cropBytes: number; json?: boolean }) => (await import('./bench-command')).benchStoreCommand(options)));

  const provision = program.command('provision').description('this device\'s identity: enrollment with central, certificate status');
  provision
    .command('enroll')
    .description('make a key pair and a CSR, enroll with the hub using a one-time token, store the certificate and pin central\'s CA')
    .requiredOption('--hub <url>', 'the hub\'s enrollment address, https://HOST:PORT')
    .requiredOption('--token <token>', 'one-time enrollment token from `sightline fleet token`')
    .option('--device-id <id>', 'this device\'s name (default: device.id in the config, else the host name)')
    .addOption(configOption())
    .action(run(async (options: { hub: string; token: string; deviceId?: string; config?: string }) => (await import('./provision-command')).provisionEnrollCommand(options)));
  provision
    .command('status')
    .description('whether this device is enrolled, its id, certificate expiry and central\'s address')
    .addOption(configOption())
    .option('--json', 'print one JSON object')
    .action(run(async (options: { config?: string; json?: boolean }) => (await import('./provision-command')).provisionStatusCommand(options)));

  const fleetDirOption = () => new Option('--dir <dir>', 'the fleet\'s directory (CA, tokens; the hub\'s directory)').default('./data/hub');
  const fleet = program.command('fleet').description('the fleet certificate authority and enrollment tokens');
  const fleetCa = fleet.command('ca').description('the fleet certificate authority');
  fleetCa
    .command('init')
    .description('create the fleet CA (ca.key 0600, ca.crt); refuses to replace an existing one')
    .addOption(fleetDirOption())
    .option('--name <name>', 'the CA\'s common name')
    .action(run(async (options: { dir?: string; name?: string }) => (await import('./fleet-command')).fleetCaInitCommand(options)));
  fleet
    .command('token')
    .description('make a one-time enrollment token for one device')
    .addOption(fleetDirOption())
    .option('--ttl-hours <h>', 'hours until the token expires (default 24)', positiveNumber)
    .option('--note <text>', 'what the token is for, kept with it')
    .option('--json', 'print one JSON object')
    .action(run(async (options: { dir?: string; ttlHours?: number; note?: string; json?: boolean }) => (await import('./fleet-command')).fleetTokenCommand(options)));

  const hub = program.command('hub').description('the reference central hub: devices, their reads, health and commands');
  const hubCmd = () => import('./hub-command');
  const hubDirOption = () => new Option('--dir <dir>', 'the hub\'s directory (fleet CA, tokens, hub.sqlite)').default('./data/hub');
  const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
  hub
    .command('serve')
    .description('run the hub: mutual-TLS WebSocket for devices, TLS-PSK enrollment, health pulls')
    .addOption(hubDirOption())
    .option('--listen <host:port>', 'device WebSocket listener (loopback by default)', '127.0.0.1:8443')
    .option('--enroll-listen <host:port>', 'enrollment listener', '127.0.0.1:8444')
    .option('--no-enroll', 'no enrollment listener')
    .option('--hostname <name>', 'a name in the hub\'s server certificate (repeat; default localhost and 127.0.0.1)', collect)
    .option('--cert-days <days>', 'lifetime of the device certificates it issues', positiveNumber, 90)
    .option('--health-minutes <m>', 'pull health from every connected device this often (0: on connect only)', (v: string) => Number(v), 5)
    .option('--init', 'create the fleet CA in --dir when there is none')
    .option('--json', 'once listening, print {"listening":{"host","port","enrollPort"}} (for a supervising process)')
    .action(run(async (options: { dir?: string; listen?: string; enrollListen?: string; enroll?: boolean; hostname?: string[]; certDays?: number; healthMinutes?: number; init?: boolean; json?: boolean }) => (await hubCmd()).hubServeCommand(options)));
  hub
    .command('devices')
    .description('enrolled devices: connected or last seen, certificate expiry, reads stored')
    .addOption(hubDirOption())
    .option('--json', 'print JSON')
    .action(run(async (options: { dir?: string; json?: boolean }) => (await hubCmd()).hubDevicesCommand(options)));
  hub
    .command('reads')
    .description('reads and alerts the hub stored, newest first (no crops)')
    .addOption(hubDirOption())
    .option('--device <id>', 'only this device\'s')
    .option('--alerts', 'only hotlist hits')
    .option('--limit <n>', 'at most this many', positiveInt, 20)
    .option('--json', 'print JSON')
    .action(run(async (options: { dir?: string; device?: string; alerts?: boolean; limit?: number; json?: boolean }) => (await hubCmd()).hubReadsCommand(options)));
  hub
    .command('alerts')
    .description('alerts the hub stored, newest first: matches, case, advisory, evidence size; --save-images to check them by eye')
    .addOption(hubDirOption())
    .option('--device <id>', 'only this device\'s')
    .option('--limit <n>', 'at most this many', positiveInt, 20)
    .option('--save-images <dir>', 'write each alert\'s <readId>-crop.jpg and <readId>-frame.jpg there (0600)')
    .option('--json', 'print JSON')
    .action(run(async (options: { dir?: string; device?: string; limit?: number; saveImages?: string; json?: boolean }) => (await hubCmd()).hubAlertsCommand(options)));
  hub
    .command('health')
    .description('the last health report of each device (or one)')
    .addOption(hubDirOption())
    .option('--device <id>', 'only this device')
    .option('--json', 'print JSON')
    .action(run(async (options: { dir?: string; device?: string; json?: boolean }) => (await hubCmd()).hubHealthCommand(options)));
  hub
    .command('revoke')
    .description('revoke every certificate of a device; it is refused (and disconnected) from then on')
    .argument('<device>', 'device id')
    .requiredOption('--reason <text>', 'why')
    .addOption(hubDirOption())
    .option('--json', 'print JSON')
    .action(run(async (device: string, options: { dir?: string; reason: string; json?: boolean }) => (await hubCmd()).hubRevokeCommand(device, options)));
  hub
    .command('send')
    .description('send a command to a device and wait for its reply: health, hold, release, delete, correct, hotlist')
    .argument('<device>', 'device id')
    .argument('<command>', 'health | hold | release | delete | correct | hotlist')
    .addOption(hubDirOption())
    .option('--read-id <id>', 'the read (hold, release, delete, correct)')
    .option('--case <number>', 'case number (hold)')
    .option('--reason <text>', 'why (hold, delete, correct)')
    .option('--plate <text>', 'the right plate (correct)')
    .option('--list <name>', 'hotlist name (hotlist)')
    .option('--file <file>', 'file holding the hotlist snapshot (hotlist)')
    .option('--signature <base64>', 'the snapshot\'s signature (hotlist)')
    .option('--by <name>', 'who asks (default: the login name)')
    .option('--wait <seconds>', 'how long to wait for the reply (0: queue and return)', (v: string) => Number(v), 30)
    .option('--json', 'print JSON')
    .action(
      run(async (device: string, name: string, options: { dir?: string; readId?: string; case?: string; reason?: string; plate?: string; list?: string; file?: string; signature?: string; by?: string; wait?: number; json?: boolean }) =>
        (await hubCmd()).hubSendCommand(device, name, { ...options, caseNumber: options.case }),
      ),
    );

  bench
    .command('uplink')
    .description('uplink to a real hub on loopback: reads/s acknowledged (20 KB crops), alert latency behind a backlog, device memory')
    .addOption(configOption())
    .option('--dir <dir>', 'where the throwaway hub and device directories go (default the temp directory)')
    .option('--reads <n>', 'reads uploaded for the throughput figure', positiveInt, 20_000)
    .option('--backlog <n>', 'reads queued while alerts are measured', positiveInt, 50_000)
    .option('--crop-bytes <n>', 'size of each read\'s crop', positiveInt, 20 * 1024)
    .option('--alerts <n>', 'alerts measured', positiveInt, 200)
    .option('--alert-every-ms <ms>', 'one alert this often while the backlog uploads', positiveInt, 50)
    .option('--batch-reads <n>', 'reads per upload batch (default: uplink.batchReads of the config)', positiveInt)
    .option('--window-batches <n>', 'batches in flight (default: uplink.windowBatches)', positiveInt)
    .option('--max-buffered-mb <mb>', 'socket buffer the backlog may fill (default: uplink.maxBufferedMB)', positiveNumber)
    .option('--json', 'print the full result as JSON; the last line is always the JSON summary')
    .action(run(async (options: { config?: string; dir?: string; reads: number; backlog: number; cropBytes: number; alerts: number; alertEveryMs: number; batchReads?: number; windowBatches?: number; maxBufferedMb?: number; json?: boolean }) => (await import('./bench-command')).benchUplinkCommand(options)));

  bench
    .command('hotlist')
    .description('hotlist matching: ms per read against 100,000 entries, fuzzy false positives on random pairs, tracker-to-hub alert latency behind a 50,000-read backlog')
    .addOption(configOption())
    .option('--dir <dir>', 'where the throwaway hub and device directories go (default the temp directory)')
    .option('--entries <n>', 'hotlist entries across three lists', positiveInt, 100_000)
    .option('--reads <n>', 'reads matched for the match time', positiveInt, 20_000)
    .option('--pairs <n>', 'random plate pairs differing in 2+ characters', positiveInt, 10_000)
    .option('--backlog <n>', 'reads queued for upload while alerts are measured', positiveInt, 50_000)
    .option('--alerts <n>', 'hits measured (as many passing vehicles that hit nothing go between them)', positiveInt, 100)
    .option('--vehicle-every-ms <ms>', 'one vehicle this often', positiveInt, 250)
    .option('--seed <n>', 'seed for lists, reads and pairs', (v: string) => Number(v), 1)
    .option('--json', 'print the full result as JSON; the last line is always the JSON summary')
    .action(run(async (options: HotlistBenchCommandOptions) => (await import('./bench-command')).benchHotlistCommand(options)));

  program
    .command('alerts')
    .description('the alerts kept on this device, newest first, with matches and the confirm advisory; the access is recorded with user, agency, purpose and case (all required)')
    .option('--since <iso>', 'only alerts first seen at or after this time')
    .option('--limit <n>', 'at most this many (1 to 1000)', positiveInt, 20)
    .option('--save-images <dir>', 'also write <readId>-crop.jpg and <readId>-frame.jpg (0600) into this folder, for visual confirmation')
    .option('--user <name>', 'who is looking')
    .option('--agency <name>', 'their agency')
    .option('--purpose <text>', 'what for ("investigation" alone is not a purpose)')
    .option('--case <number>', 'case or incident number')
    .addOption(configOption())
    .option('--json', 'print one JSON array')
    .action(run(async (options: { since?: string; limit?: number; saveImages?: string; user?: string; agency?: string; purpose?: string; case?: string; config?: string; json?: boolean }) => (await import('./alerts-command')).alertsCommand(options)));

  const hotlist = program.command('hotlist').description('hotlists kept on this device: load from a file, list');
  hotlist
    .command('load')
    .description('load a hotlist from a CSV or JSON file (replaces the lists its rows name, atomically; any bad row refuses the file)')
    .argument('<file>', 'CSV with a header row, or JSON')
    .option('--list <name>', 'the list for rows that name none')
    .option('--format <format>', 'csv or json (default: from the file name)')
    .option('--skip-bad-rows', 'load the good rows and report the bad ones instead of refusing the file')
    .addOption(configOption())
    .option('--json', 'print JSON')
    .action(run(async (file: string, options: { list?: string; format?: string; skipBadRows?: boolean; config?: string; json?: boolean }) => (await import('./hotlist-command')).hotlistLoadCommand(file, options)));
  hotlist
    .command('list')
    .description('the lists on this device: entries, when refreshed, stale or not')
    .addOption(configOption())
    .option('--json', 'print JSON')
    .action(run(async (options: { config?: string; json?: boolean }) => (await import('./hotlist-command')).hotlistListCommand(options)));

  const config = program.command('config').description('check a config file or show every default');
  config.command('check').argument('<file>').description('validate a config file without starting').action(run(async (file: string) => (await import('./config-command')).configCheckCommand(file)));
  config.command('defaults').description('print the default config, documented').action(run(async () => (await import('./config-command')).configDefaultsCommand()));
  return program;
}

/** Runs the CLI; every error ends as one clear line on stderr and a non-zero exit status. */
export async function main(argv: string[]): Promise<void> {
  let exitCode = 0;
  const program = buildProgram((code) => (exitCode = code));
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as Error & { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      // Commander has printed the usage problem (or the help/version) already. A usage problem
      // exits 2 like every other command-line mistake (commander's own default is 1).
      exitCode = e.exitCode === 0 ? 0 : 2;
    } else if (err instanceof ConfigError) {
      process.stderr.write(`sightline: ${err.message}\n`);
      exitCode = 2;
    } else if (err instanceof CliError) {
      process.stderr.write(`sightline: ${err.message}\n`);
      exitCode = 2;
    } else {
      process.stderr.write(`sightline: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
      exitCode = 1;
    }
  }
  process.exitCode = exitCode;
}
