// Runs the compiler with this process's stdio and cargo's jobserver descriptors (Node passes a child
// only those named in its stdio list), waits, and exits with its status.
const { spawn } = require('node:child_process');

const [compiler, ...args] = process.argv.slice(2);
const jobserver = /--jobserver-(?:fds|auth)=(\d+),(\d+)/.exec(process.env.CARGO_MAKEFLAGS ?? '');
const stdio = ['inherit', 'inherit', 'inherit'];
if (jobserver) {
  const descriptors = [Number(jobserver[1]), Number(jobserver[2])];
  for (let index = 3; index <= Math.max(...descriptors); index += 1)
    stdio[index] = descriptors.includes(index) ? index : 'ignore';
}
spawn(compiler, args, { stdio }).on('close', (code, signal) => {
  process.exitCode = code ?? (signal ? 128 : 1);
});
