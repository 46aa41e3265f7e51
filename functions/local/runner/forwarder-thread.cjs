// The local forwarder containers on a thread of their own (see lambda-host.ts). Plain CommonJS
// that registers tsx first: a worker thread does not inherit the loader of the thread that starts it.
'use strict';
require('tsx/cjs');
require('./forwarder-thread.ts');
