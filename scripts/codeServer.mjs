// code-server: the real VS Code workbench and Node extension host, served to a browser.
// @vscode/test-electron downloads VS Code from outside the npm registry, so where only the npm
// registry and Debian's packages are reachable the tests run here instead (see TESTING.md).
//
//   node scripts/codeServer.mjs install     install into .vscode-test/code-server (idempotent)
//
// Plain ESM without top-level await, so TypeScript test code compiled to CommonJS can require() it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const installDir = path.join(repoRoot, '.vscode-test', 'code-server');

const packageDir = path.join(installDir, 'node_modules', 'code-server');
const vscodeDir = path.join(packageDir, 'lib', 'vscode');
const entryJs = path.join(packageDir, 'out', 'node', 'entry.js');
const marker = path.join(installDir, `.installed-${CODE_SERVER_VERSION}`);
const logFile = path.join(repoRoot, '.vscode-test', 'code-server-install.log');

/** Native modules of VS Code's server; each must load, or terminals, watchers or auth break. */
const VSCODE_NATIVE_MODULES = [
  'kerberos',
  'node-pty',
  '@parcel/watcher',
  '@vscode/spdlog',
  'native-watchdog',
  '@vscode/deviceid',
];

/** Debian packages the tests need: rg for search, kerberos headers for its build, the browser. */
export const DEBIAN_PACKAGES = ['chromium', 'ripgrep', 'libkrb5-dev', 'pkg-config'];

const DEFAULT_SETTINGS = { 'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none' };

function log(message) {
  process.stdout.write(`[code-server] ${message}\n`);
}

/** Environment for child processes, without what an enclosing npm script or VS Code leaks in. */
function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    // npm_package_*/npm_lifecycle_*/local prefix describe this repo: the nested installs are
    // separate projects. VSCODE_* and ELECTRON_RUN_AS_NODE would make code-server believe it is
    // running inside another VS Code.
    if (/^npm_(package|lifecycle)_/.test(key) || key === 'npm_config_local_prefix') delete env[key];
    if (key.startsWith('VSCODE_') || key === 'ELECTRON_RUN_AS_NODE') delete env[key];
  }
  return { ...env, ...extra };
}

/** Runs a command, its output into the install log; rejects with the log's tail on failure. */
async function run(command, args, cwd, env = {}) {
  appendFileSync(logFile, `\n$ (cd ${cwd} && ${command} ${args.join(' ')})\n`);
  const child = spawn(command, args, { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const collect = (chunk) => {
    appendFileSync(logFile, chunk);
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const [code] = await once(child, 'close');
  if (code !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${code}) in ${cwd}\n${tail}\nFull log: ${logFile}`);
  }
}

function which(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Installs missing Debian packages (as root), or says how to. A no-op off Debian. */
export async function ensureDebianPackages(packages = DEBIAN_PACKAGES) {
  if (!which('dpkg-query')) return;
  const missing = [];
  for (const pkg of packages) {
    const status = await new Promise((resolve) => {
      const child = spawn('dpkg-query', ['-W', '-f=${Status}', pkg], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      child.on('close', () => resolve(out));
    });
    if (!String(status).includes('install ok installed')) missing.push(pkg);
  }
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    throw new Error(
      `Missing Debian packages: ${missing.join(' ')}. Run: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`,
    );
  }
  log(`apt-get install ${missing.join(' ')}`);
  mkdirSync(path.dirname(logFile), { recursive: true });
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], repoRoot, env);
  await run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], repoRoot, env);
}

/** Fails unless every module loads in a fresh Node, resolved from `fromDir` like the server does. */
async function verifyLoads(fromDir, modules) {
  const script =
    `const r = require('node:module').createRequire(${JSON.stringify(path.join(fromDir, 'index.js'))});` +
    `for (const m of ${JSON.stringify(modules)}) r(m);`;
  await run(process.execPath, ['-e', script], fromDir);
}

function relink(target, linkPath) {
  try {
    unlinkSync(linkPath);
  } catch {
    // absent: nothing to replace
  }
  symlinkSync(target, linkPath);
}

/**
 * Installs code-server into .vscode-test/code-server without its postinstall (which refuses to
 * run as root and downloads ripgrep from outside the npm registry). Skips when already done.
 * @returns {Promise<string>} the path of out/node/entry.js
 */
export async function ensureCodeServer() {
  await ensureDebianPackages();
  if (existsSync(marker) && existsSync(entryJs)) return entryJs;

  const started = Date.now();
  // A half-finished earlier attempt is not trusted: start from an empty folder.
  rmSync(installDir, { recursive: true, force: true });
  mkdirSync(installDir, { recursive: true });
  writeFileSync(logFile, `code-server ${CODE_SERVER_VERSION} install\n`);
  // Its own package.json, so npm does not walk up and treat this repository as the project.
  writeFileSync(
    path.join(installDir, 'package.json'),
    JSON.stringify({ name: 'code-server-test-install', private: true }, null, 2) + '\n',
  );
  // npm_config_yes answers npx's prompt (node-pty's build runs `npx node-gyp`; yes=false is set
  // globally here). The explicit `npm rebuild <names>` runs exactly the build scripts needed.
  const rebuildEnv = { npm_config_yes: 'true' };

  log(`installing code-server@${CODE_SERVER_VERSION} into ${path.relative(repoRoot, installDir)} (1-2 minutes)`);
  await run(
    'npm',
    ['install', '--ignore-scripts', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`],
    installDir,
  );
  log('building argon2');
  await run('npm', ['rebuild', 'argon2'], installDir, rebuildEnv);
  await verifyLoads(packageDir, ['argon2']);

  log('installing the VS Code server dependencies');
  await run('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], vscodeDir);
  log(`building ${VSCODE_NATIVE_MODULES.join(', ')}`);
  await run('npm', ['rebuild', ...VSCODE_NATIVE_MODULES], vscodeDir, rebuildEnv);
  await verifyLoads(vscodeDir, VSCODE_NATIVE_MODULES);

  // @vscode/ripgrep's own postinstall downloads rg; Debian's binary does the same job.
  const rg = which('rg');
  if (!rg) throw new Error('ripgrep (rg) is not on PATH: apt-get install ripgrep');
  const rgTarget = path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg');
  mkdirSync(path.dirname(rgTarget), { recursive: true });
  copyFileSync(rg, rgTarget);
  chmodSync(rgTarget, 0o755);

  // What code-server's postinstall would otherwise link.
  relink('node_modules', path.join(vscodeDir, 'node_modules.asar'));
  relink('code-linux.sh', path.join(vscodeDir, 'bin', 'remote-cli', 'code-server'));
  relink('browser-linux.sh', path.join(vscodeDir, 'bin', 'helpers', 'browser.sh'));

  log('installing the built-in extensions dependencies');
  await run(
    'npm',
    ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'],
    path.join(vscodeDir, 'extensions'),
  );

  writeFileSync(marker, JSON.stringify({ version: CODE_SERVER_VERSION, installedAt: new Date().toISOString() }) + '\n');
  log(`installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return entryJs;
}

/** A port that was free on 127.0.0.1 a moment ago. */
export async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Starts code-server on a free loopback port, without auth.
 * @param {{ folder: string, userDataDir?: string, extensionsDir?: string,
 *           settings?: Record<string, unknown>, env?: Record<string, string>,
 *           port?: number, verbose?: boolean }} options
 *   userDataDir defaults to a new temporary folder; pass the same one again to reopen the same
 *   profile. extensionsDir defaults to `<userDataDir>/extensions` (empty: only the extension
 *   under development loads). verbose echoes the server's output.
 */
export async function startCodeServer({
  folder,
  userDataDir,
  extensionsDir,
  settings = {},
  env = {},
  port,
  verbose = false,
}) {
  const entry = await ensureCodeServer();
  const ud = userDataDir ?? mkdtempSync(path.join(os.tmpdir(), 'event-store-ud-'));
  const ext = extensionsDir ?? path.join(ud, 'extensions');
  mkdirSync(path.join(ud, 'User'), { recursive: true });
  mkdirSync(ext, { recursive: true });
  // A profile opened again (restart, npm start) keeps what was changed in it since.
  const settingsFile = path.join(ud, 'User', 'settings.json');
  const previous = readJson(settingsFile) ?? {};
  writeFileSync(settingsFile, JSON.stringify({ ...DEFAULT_SETTINGS, ...previous, ...settings }, null, 2) + '\n');
  // Its own config file, so code-server neither reads nor writes ~/.config/code-server.
  const config = path.join(ud, 'code-server.yaml');
  writeFileSync(config, 'auth: none\ncert: false\n');

  port ??= await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    entry,
    '--config',
    config,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--user-data-dir',
    ud,
    '--extensions-dir',
    ext,
    '--disable-telemetry',
    '--disable-update-check',
    folder,
  ];
  // Its own process group, so stop() also ends the extension hosts and watchers it forks.
  const child = spawn(process.execPath, args, {
    cwd: folder,
    env: cleanEnv(env),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit').then(
    () => undefined,
    () => undefined,
  );
  let output = '';
  const ready = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      const text = chunk.toString();
      if (verbose) process.stderr.write(text);
      output = (output + text).slice(-8000);
      if (output.includes('HTTP server listening')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) =>
      reject(new Error(`code-server exited (${code ?? signal}) before listening:\n${output}`)),
    );
    setTimeout(() => reject(new Error(`code-server did not listen within 60 s:\n${output}`)), 60_000).unref();
  });

  async function stop() {
    const kill = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // the group is already gone
      }
    };
    if (child.exitCode === null && child.signalCode === null) {
      kill('SIGTERM');
      const timer = setTimeout(() => kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    kill('SIGKILL'); // what is left of the group: extension hosts that outlived the server
  }

  try {
    await ready;
  } catch (error) {
    await stop();
    throw error;
  }

  const remote = (absPath) => `vscode-remote://127.0.0.1:${port}${path.resolve(absPath)}`;
  return {
    port,
    url,
    folder,
    userDataDir: ud,
    extensionsDir: ext,
    /** Workbench URL that loads `extDevPath` in development mode and, if given, runs the suite. */
    devHostUrl(extDevPath, testsPath) {
      const payload = [['extensionDevelopmentPath', remote(extDevPath)]];
      if (testsPath) payload.push(['extensionTestsPath', remote(testsPath)]);
      return `${url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    },
    /** Settles when the server has exited, on stop() or on its own. */
    exited,
    /** The server's latest output, for diagnostics. */
    output: () => output,
    stop,
  };
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command] = process.argv.slice(2);
  if (command === 'install') {
    ensureCodeServer().then(
      (entry) => log(`ready: ${path.relative(repoRoot, entry)}`),
      (error) => {
        console.error(error instanceof Error ? error.message : error);
        process.exitCode = 1;
      },
    );
  } else {
    console.error('usage: node scripts/codeServer.mjs install');
    process.exitCode = 2;
  }
}
