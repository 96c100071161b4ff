#!/usr/bin/env node
'use strict';
// The `sightline` command: runs the compiled CLI, or says how to build it.
const path = require('node:path');
const fs = require('node:fs');

const entry = path.join(__dirname, '..', 'dist', 'ops', 'cli', 'sightline.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('sightline: not built yet; run `make setup` (or `make run` / `make test`) in ' + path.dirname(__dirname) + '\n');
  process.exit(2);
}
require(entry).main(process.argv);
