import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../../firmware/config/config-error';
import { CliError } from './cli-error';
import { SPLITS, type Split } from '../bench/holdout';

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
const splitOption = (heldOut: string) =>
  new Option('--split <split>', `all, heldout (${heldOut}, by a hash of the file name, never used in training) or train`).choices(SPLITS).default('all');

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
    .action(run(async (options: { config?: string; for?: number; json?: boolean }) => (await import('./run-command')).runCommand(options)));

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
    .addOption(splitOption('a fifth of the crops'))
    .option('--json', 'print the summary as a JSON last line')
    .action(run(async (dir: string, options: { config?: string; split: Split; json?: boolean }) => (await import('./bench-command')).benchOcrCommand(dir, options)));
  bench
    .command('pipeline')
    .description('run the synthetic camera live through the whole appliance and score the reads')
    .addOption(configOption())
    .option('--seconds <s>', 'how long to run', positiveNumber, 30)
    .option('--seed <n>', 'scene seed', positiveInt, 1)
    .option('--json', 'print the summary as a JSON last line')
    .action(run(async (options: { config?: string; seconds?: number; seed?: number; json?: boolean }) => (await import('./bench-command')).benchPipelineCommand(options)));

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
