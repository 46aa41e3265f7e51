#!/usr/bin/env node
// Runs a TypeScript entry point through tsx without a build step: `node tsx.cjs file.ts args…`.
'use strict';
const path = require('node:path');
// As in bin.cjs: the pinned SDK supports Node 20; its notice about 2027 releases is noise here.
if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
require('tsx/cjs');
const entry = path.resolve(process.argv[2]);
process.argv.splice(1, 2, entry);
require(entry);
