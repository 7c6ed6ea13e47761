import { execFileSync } from 'node:child_process';

/** End-to-end tests spawn the built CLI, so build once before any test runs. */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
