#!/usr/bin/env node
// Runs a TypeScript entry point through tsx without a build step: `node tsx.cjs file.ts args…`.
'use strict';
const path = require('node:path');
require('tsx/cjs');
const entry = path.resolve(process.argv[2]);
process.argv.splice(1, 2, entry);
require(entry);
