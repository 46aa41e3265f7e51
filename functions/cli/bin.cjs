#!/usr/bin/env node
// The `lead-forwarder` command: runs the TypeScript entry point through tsx, no build step.
'use strict';
// The SDK warns on Node 20 that its 2027 releases will need Node 22; the dependency pins keep
// this tool on supported versions, so the notice would only confuse operators.
if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
require('tsx/cjs');
require('./main.ts');
