/** A command-line mistake (bad argument, missing folder): printed as is, exit status 2. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}
