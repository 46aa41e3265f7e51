// Preloaded into a benchmarked child process (`node --require`): writes its own CPU time
// (user + system, seconds) to the file named by BENCH_CPU_FILE when it exits.
'use strict';
const { writeFileSync } = require('node:fs');
const file = process.env.BENCH_CPU_FILE;
if (file !== undefined) {
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    writeFileSync(file, String((user + system) / 1e6));
  });
}
