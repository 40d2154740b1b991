// `npm start`: opens the extension in a development host on a demo workspace with sample data.
// With VS Code's `code` on PATH it uses that; otherwise it serves code-server on 127.0.0.1 and
// prints the address to open (stop it with Ctrl+C).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, startCodeServer } from './codeServer.mjs';

const workspace = path.join(repoRoot, '.demo-workspace');
const store = path.join(workspace, '.eventstore', 'events.db');

function onPath(name) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, name)));
}

function runSync(command, args) {
  return spawnSync(command, args, { cwd: repoRoot, stdio: 'inherit' }).status === 0;
}

if (!existsSync(path.join(repoRoot, 'dist', 'extension.js'))) {
  console.log('Building the extension (dist/ is missing)...');
  if (!runSync('npm', ['run', 'build'])) {
    console.error('The build failed.');
    process.exit(1);
  }
}

mkdirSync(workspace, { recursive: true });
// The demo opens on the walkthrough, and VS Code does not offer to open this repository's git
// folder above the demo workspace.
const settingsFile = path.join(workspace, '.vscode', 'settings.json');
mkdirSync(path.dirname(settingsFile), { recursive: true });
let settings = {};
try {
  if (existsSync(settingsFile)) settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
} catch {
  console.warn(`${path.relative(repoRoot, settingsFile)} is not plain JSON: it is replaced.`);
}
writeFileSync(
  settingsFile,
  `${JSON.stringify({ ...settings, 'git.openRepositoryInParentFolders': 'never', 'eventStore.walkthrough.openOnStartup': true }, null, 2)}\n`,
);
if (!existsSync(store)) {
  console.log(`Seeding demo data into ${path.relative(repoRoot, store)}...`);
  // The CLI prints one line per event appended: count them rather than flood the console.
  const seeded = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'seed', '--store', store], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (seeded.status === 0) console.log(`Seeded ${seeded.stdout.split('\n').filter(Boolean).length} events.`);
  // Not fatal: the same data is one command away inside VS Code.
  else console.error('Seeding failed; run "Event Store: Seed Demo Data" from the command palette instead.');
}

if (onPath('code')) {
  const child = spawn('code', [`--extensionDevelopmentPath=${repoRoot}`, workspace], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  // A profile kept between runs (ignored by git), so the layout and settings stay as left.
  const server = await startCodeServer({
    folder: workspace,
    userDataDir: path.join(repoRoot, '.vscode-test', 'start-user-data'),
    port: process.env.PORT ? Number(process.env.PORT) : undefined,
  });
  console.log('\nVS Code (code-server) is running with the extension in development mode. Open:\n');
  console.log(`  ${server.devHostUrl(repoRoot)}\n`);
  console.log('It listens on 127.0.0.1 only (forward the port to reach it from elsewhere). Ctrl+C stops it.');
  console.log('After changing the code, run `npm run build` (or `npm run watch`) and reload the window.');

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  server.exited.then(() => {
    if (!stopping) {
      console.error(`code-server exited:\n${server.output()}`);
      process.exit(1);
    }
  });
}
