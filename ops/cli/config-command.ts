import { loadConfig } from '../../firmware/config/load-config';
import { describeDefaults } from '../../firmware/config/describe-config';
import { out } from './cli-context';

/** `sightline config check FILE`: validates a config without starting anything. */
export function configCheckCommand(file: string): number {
  loadConfig(file);
  out(`${file}: valid`);
  return 0;
}

/** `sightline config defaults`: every key, its default and what it allows, as commented YAML. */
export function configDefaultsCommand(): number {
  process.stdout.write(describeDefaults());
  return 0;
}
