import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { type Config, ConfigError, type HttpConfig } from '../config.js';
import { apiCommand } from '../http/api-command.js';
import { log } from '../util/log.js';

/** How long the probe for an already running server may take: a closed port answers at once. */
const PROBE_MS = 1500;

const urlHost = (host: string) => {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
};

/** Whether an agent-memory API already answers at `base` (its public root names it). */
async function runningAt(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/`, { signal: AbortSignal.timeout(PROBE_MS) });
    const body = (await res.json()) as { name?: unknown };
    return res.ok && body.name === 'agent-memory';
  } catch {
    return false;
  }
}

/** Opens the URL in the desktop's browser when there is one; a headless machine just gets the printed URL. */
function openBrowser(url: string): void {
  const browser = process.env.BROWSER;
  if (browser === 'none' || process.env.CI) return;
  if (process.platform === 'linux' && !browser && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return;
  const [command, args] = browser
    ? [browser, [url]]
    : process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  const child = spawn(command, args, { stdio: 'ignore', detached: true });
  child.on('error', (err) => log.warn(`could not open a browser (${err.message}); open ${url} yourself`));
  child.unref();
}

function announce(url: string, http: HttpConfig, open: boolean): void {
  const signIn =
    http.auth.mode === 'token'
      ? '\nSign in with a token: agent-memory token add --namespace NAME --scope read|write|admin'
      : http.auth.mode === 'oauth2'
        ? '\nSign in with an OAuth2 access token.'
        : '';
  process.stdout.write(`Dashboard: ${url}${signIn}\n`);
  if (open) openBrowser(url);
}

/**
 * `agent-memory ui [--port 8000] [--host 127.0.0.1] [--no-open] [api options]`: prints (and opens) the dashboard
 * URL of the API server on that address, starting one in this process when none answers there.
 */
export async function uiCommand(args: string[], config: Config, http: HttpConfig): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'no-open': { type: 'boolean', default: false },
      'insecure-no-auth': { type: 'boolean', default: false },
      'no-worker': { type: 'boolean', default: false },
    },
  });
  const port = values.port === undefined ? http.port : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ConfigError(`--port: expected 0–65535, got "${values.port}"`);
  const host = values.host?.trim() || http.host;
  const open = !values['no-open'];
  const base = `http://${urlHost(host)}:${port}`;
  if (port !== 0 && (await runningAt(base))) {
    announce(`${base}/ui`, http, open);
    return;
  }
  const apiArgs = ['--port', String(port), '--host', host];
  if (values['insecure-no-auth']) apiArgs.push('--insecure-no-auth');
  if (values['no-worker']) apiArgs.push('--no-worker');
  await apiCommand(apiArgs, config, http, (url) => announce(`${url}/ui`, http, open));
}
