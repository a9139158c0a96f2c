// The package as a user gets it: `npm pack` on a clean clone (no dist/, nothing built), then `npm install -g` of the
// tarball into a temporary prefix, then the installed programs, found on the PATH, run against a temporary catalog.
// Slow (the install builds better-sqlite3's native addon from npm's cache), so it runs alone with a long timeout.
import {spawn, spawnSync} from 'node:child_process';
import {copyFile, mkdir, readFile, readdir, symlink} from 'node:fs/promises';
import {existsSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import test from 'ava';
import packageJson from '../../package.json' with {type: 'json'};
import {commands} from '../../source/commands/commands.ts';
import {tempDirectory} from '../helpers/catalog-fixtures.ts';
import {collect, root, type CliResult} from '../helpers/run-cli.ts';

/** What a clean clone holds: the tracked files and the new ones not ignored, as they are in the working tree now. */
function cloneFiles(): string[] {
	const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {cwd: root, encoding: 'utf8'});
	if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
	// A tracked file deleted in the working tree is not part of what would be committed.
	return listed.stdout.split('\0').filter(file => file !== '' && existsSync(path.join(root, file)));
}

/** The environment of a user's shell: none of npm's own variables from the `npm test` that may be running this. */
function userEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [name, value] of Object.entries(process.env)) {
		if (!/^(npm_|RSCM_|NODE_OPTIONS$|INIT_CWD$)/i.test(name)) env[name] = value;
	}

	return {...env, ...extra};
}

async function run(command: string, args: string[], options: {cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number}): Promise<CliResult> {
	return collect(spawn(command, args, {cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe']}), options.timeoutMs ?? 60_000);
}

function output(result: CliResult): string {
	return `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}

test('npm pack of a clean clone installs globally: rscm and rskeymgmt on the PATH work, rscm(1) is installed', async t => {
	t.timeout(600_000);
	const work = await tempDirectory(t, 'rscm-package-');
	const clone = path.join(work, 'clone');
	for (const file of cloneFiles()) {
		await mkdir(path.dirname(path.join(clone, file)), {recursive: true});
		await copyFile(path.join(root, file), path.join(clone, file));
	}

	t.false(existsSync(path.join(clone, 'dist')), 'a clean clone has no build');
	// `npm ci` would install what package-lock.json names, which is what this tree's node_modules holds; linking it
	// spares minutes of rebuilding native addons and leaves the tree's own node_modules untouched.
	await symlink(path.join(root, 'node_modules'), path.join(clone, 'node_modules'), 'dir');

	const env = userEnvironment({});
	const packed = await run('npm', ['pack', '--json', '--pack-destination', work], {cwd: clone, env, timeoutMs: 180_000});
	t.is(packed.code, 0, output(packed));
	// The JSON follows whatever the prepack script printed.
	const [pack] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{filename: string; files: Array<{path: string}>}>;
	const files = pack!.files.map(file => file.path);
	for (const file of ['dist/cli.js', 'dist/rskeymgmt.js', 'dist/reencrypt-worker.js', 'dist/rscm.1', 'package.json', 'readme.md', 'contrib/systemd/rscm-backup.timer', 'contrib/cron/rscm-backup']) {
		t.true(files.includes(file), `${file} is not in the package: ${files.join(', ')}`);
	}

	t.true(files.some(file => file.startsWith('dist/chunks/')), 'the lazily loaded chunks are in the package');
	t.deepEqual(
		files.filter(file => !file.startsWith('dist/') && !file.startsWith('contrib/') && !['package.json', 'readme.md', 'LICENSE'].includes(file)),
		[],
		'only the build, the service files and the package files are packed (no sources, tests or key backups)',
	);

	const prefix = path.join(work, 'prefix');
	// From npm's cache where it can (this machine reaches only the npm registry); better-sqlite3 compiles its addon.
	const installed = await run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(work, pack!.filename)], {
		cwd: work,
		env,
		timeoutMs: 540_000,
	});
	t.is(installed.code, 0, output(installed));

	// The programs as a user's shell finds them: by name, on a PATH that starts with the prefix's bin.
	const catalogDirectory = path.join(work, 'catalog');
	const shell = userEnvironment({
		PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env['PATH'] ?? ''}`,
		RSCM_CATALOG: path.join(catalogDirectory, 'catalog.db'),
		RSCM_INSTANCE_DIR: path.join(catalogDirectory, 'instance'),
	});
	const elsewhere = {cwd: work, env: shell};
	const which = await run('sh', ['-c', 'command -v rscm && command -v rskeymgmt'], elsewhere);
	t.is(which.stdout, `${path.join(prefix, 'bin', 'rscm')}\n${path.join(prefix, 'bin', 'rskeymgmt')}\n`, output(which));

	const version = await run('rscm', ['--version'], elsewhere);
	t.is(version.code, 0, output(version));
	t.is(version.stdout, `${packageJson.version}\n`);

	// better-sqlite3, external to the bundle, resolves from the installed package's own node_modules.
	const init = await run('rscm', ['init', '--json'], elsewhere);
	t.is(init.code, 0, output(init));
	const status = await run('rscm', ['status', '--json'], elsewhere);
	t.is(status.code, 0, output(status));
	const report = JSON.parse(status.stdout) as {status: string; primaryKey: {version: number}; catalog: {kind: string}};
	t.is(report.status, 'joined');
	t.is(report.primaryKey.version, 1);
	t.is(report.catalog.kind, 'sqlite');

	const rskeymgmt = await run('rskeymgmt', ['-?'], elsewhere);
	t.is(rskeymgmt.code, 0, output(rskeymgmt));
	t.regex(rskeymgmt.stdout, /rskeymgmt -e/);
	// pg, the other external, loads too: a refused connection is the catalog's error, not a missing module.
	const postgres = await run('rscm', ['--catalog', 'postgres://127.0.0.1:1/none?schema=rscm', 'status', '--json'], elsewhere);
	t.notRegex(postgres.stdout + postgres.stderr, /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/, output(postgres));
	t.regex(postgres.stdout, /"code"/, output(postgres));
	// And mariadb, the third: its refusal is the catalog's error too.
	const mariadb = await run('rscm', ['--catalog', 'mariadb://127.0.0.1:1/none', 'status', '--json'], elsewhere);
	t.notRegex(mariadb.stdout + mariadb.stderr, /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/, output(mariadb));
	t.regex(mariadb.stdout, /"code"/, output(mariadb));

	const completion = await run('rscm', ['completion', 'bash'], elsewhere);
	t.is(completion.code, 0, output(completion));
	t.regex(completion.stdout, /^complete -F _rscm rscm$/m);

	// Installed through package.json's `man`, where man(1) looks under the prefix.
	const manPage = path.join(prefix, 'share', 'man', 'man1', 'rscm.1');
	t.true(existsSync(manPage), `${manPage} is missing: ${(await readdir(prefix)).join(', ')}`);
	const page = await readFile(manPage, 'utf8');
	t.regex(page, /^\.TH RSCM 1 /m);
	for (const command of commands) t.true(page.includes(`\\fBrscm ${command.words.join(' ').replaceAll('-', '\\-')}\\fR`), command.words.join(' '));
});
