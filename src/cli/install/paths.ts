import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../version.js';

/** The cli.js of this installation (a global install, a project's node_modules, or a built clone). */
export const cliPath = (): string => join(PACKAGE_ROOT, 'dist', 'src', 'cli.js');
