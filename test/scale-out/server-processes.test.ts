import {spawn, type ChildProcess} from 'node:child_process';
import path from 'node:path';
import type {ExecutionContext, TestFn} from 'ava';
import {openCatalog} from '../../source/catalog/open-catalog.ts';
import {dataSourceName, dataSourceValues, strongPassword, tempDirectory} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, collect, parseJson, root, runCli, spawnCli, type CliResult, type JsonError} from '../helpers/run-cli.ts';
import {mariadbLocation, mariadbSuite} from '../helpers/mariadb-server.ts';
import {postgresLocation, postgresSuite} from '../helpers/postgres-server.ts';

/**
 * Scale-out across processes (issue 4): every server is a separate process with its own instance directory — the
 * built `rscm` for the admin's commands, small tsx children for the report servers that keep reading — all on one
 * catalog on a database server: PostgreSQL (a schema of its own per test) and MariaDB (a database of its own).
 */
type Backend = {label: string; kind: 'postgres' | 'mariadb'; test: TestFn; locate(t: ExecutionContext): Promise<string>};
const backends: Backend[] = [
	{label: 'PostgreSQL', kind: 'postgres', test: (await postgresSuite('Scale-out on PostgreSQL')).maybe, locate: async t => postgresLocation(t)},
	{label: 'MariaDB', kind: 'mariadb', test: (await mariadbSuite('Scale-out on MariaDB')).maybe, locate: mariadbLocation},
];
const dataSources = 2000;
const values = dataSources * 3;
const readerPath = path.join(root, 'test', 'helpers', 'reader-process.ts');

type ReaderSummary = {reads: number; readsOverlappingRotation: number; failures: number; errors: string[]; readable: number};

type Server = {
	directory: string;
	rscm(args: string[], stdin?: string): Promise<CliResult>;
	json<T = Record<string, unknown>>(args: string[], stdin?: string): Promise<T>;
};

function server(catalog: string, directory: string): Server {
	const rscm = async (args: string[], stdin?: string) =>
		runCli(['--catalog', catalog, '--instance-dir', directory, ...args], {stdin, timeoutMs: 80_000});
	return {
		directory,
		rscm,
		async json<T>(args: string[], stdin?: string) {
			const result = await rscm([...args, '--json'], stdin);
			if (result.code !== 0) throw new Error(`rscm ${args.join(' ')} exited ${result.code}: ${result.stdout}${result.stderr}`);
			return parseJson<T>(result);
		},
	};
}

/** A report server reading every value in a loop until told to stop; its summary comes back from stop(). */
async function startReader(catalog: string, directory: string): Promise<{stop(): Promise<ReaderSummary>}> {
	const child = spawnReader([catalog, directory, String(values)]);
	const result = collect(child, 85_000);
	await new Promise<void>((resolve, reject) => {
		let seen = '';
		child.stderr!.on('data', (chunk: Buffer) => {
			seen += chunk.toString();
			if (seen.includes('reading')) resolve();
		});
		child.on('exit', () => {
			reject(new Error(`reader exited before its first read: ${seen}`));
		});
	});
	return {
		async stop() {
			child.stdin!.end();
			const {stdout, code} = await result;
			if (code !== 0) throw new Error(`reader exited ${code}: ${stdout}`);
			return JSON.parse(stdout) as ReaderSummary;
		},
	};
}

function spawnReader(args: string[]): ChildProcess {
	const env = {...process.env};
	for (const name of Object.keys(env)) if (name.startsWith('RSCM_')) delete env[name];
	return spawn(process.execPath, ['--import', 'tsx', readerPath, ...args], {cwd: root, env, stdio: ['pipe', 'pipe', 'pipe']});
}

/** One read of every value in a process of its own, as the instance in `directory`. */
async function readOnce(catalog: string, directory: string): Promise<ReaderSummary> {
	const child = spawnReader([catalog, directory, String(values), '--once']);
	child.stdin!.end();
	const {stdout, code, stderr} = await collect(child, 60_000);
	if (code !== 0) throw new Error(`reader exited ${code}: ${stderr}`);
	return JSON.parse(stdout) as ReaderSummary;
}

function importLines(): string {
	const lines: string[] = [];
	for (let index = 0; index < dataSources; index++) lines.push(JSON.stringify({name: dataSourceName(index), ...dataSourceValues(index)}));
	return lines.join('\n') + '\n';
}

type InitResult = {installationId: string; status: string; catalogCreated: boolean; identityFingerprint: string};
type StatusResult = {
	installationId: string;
	status: string;
	identity: {fingerprint: string};
	catalog: {kind: string; catalogId: string};
	primaryKey?: {version: number; fingerprint: string};
	keyVersions: Array<{version: number; state: string}>;
	rotation?: unknown;
	instances: {joined: number; waiting: number; total: number};
};

/**
 * Joins `newcomer` the way an admin would: read its fingerprint on its own server, give it to `add` on a joined one;
 * then compare the key fingerprint the joined server shows and accept exactly that key on the newcomer.
 */
async function join(t: ExecutionContext, joined: Server, newcomer: Server, name: string): Promise<string> {
	const init = await newcomer.json<InitResult>(['init', '--name', name]);
	t.like(init, {status: 'waiting', catalogCreated: false}, name);
	const status = await newcomer.json<StatusResult>(['status']);
	t.is(status.status, 'waiting');
	t.is(status.identity.fingerprint, init.identityFingerprint);
	const added = await joined.json<{status: string}>(['instance', 'add', status.installationId, '--fingerprint', status.identity.fingerprint]);
	t.is(added.status, 'joined');
	t.is((await newcomer.json<StatusResult>(['status'])).status, 'unconfirmed', name);
	const fingerprint = (await joined.json<StatusResult>(['status'])).primaryKey?.fingerprint;
	t.truthy(fingerprint, name);
	const accepted = await newcomer.json<{fingerprint: string}>(['key', 'accept', '--fingerprint', fingerprint!]);
	t.is(accepted.fingerprint, fingerprint!, name);
	t.is((await newcomer.json<StatusResult>(['status'])).status, 'joined', name);
	return status.installationId;
}

/** What only the catalog can tell: key versions by state and how many values each live version still holds. */
async function keyState(catalog: string) {
	const opened = await openCatalog(catalog);
	try {
		return await opened.read(async tx => {
			const versions = await tx.listKeyVersions();
			const byVersion: Record<number, number> = {};
			for (const row of versions) byVersion[row.version] = await tx.countSecrets({keyVersion: row.version});
			return {
				primary: versions.filter(row => row.state === 'primary').map(row => row.version),
				retired: versions.filter(row => row.state === 'retired').map(row => row.version),
				active: versions.filter(row => row.state === 'active').map(row => row.version),
				byVersion,
				rotation: await tx.getRotation(),
				total: await tx.countSecrets(),
			};
		});
	} finally {
		await opened.close();
	}
}

for (const backend of backends) {
	backend.test(`three servers in three processes on ${backend.label}: join by fingerprint, key change under live readers, remove, recover from backup`, async t => {
		assertBuilt();
		const catalog = await backend.locate(t);
		const home = await tempDirectory(t);
		const [a, b, c] = ['a', 'b', 'c'].map(name => server(catalog, path.join(home, name))) as [Server, Server, Server];

		// Server A creates the catalog and the key, and joins.
		const aInit = await a.json<InitResult>(['init', '--name', 'A']);
		t.like(aInit, {status: 'joined', catalogCreated: true});
		const aStatus = await a.json<StatusResult>(['status']);
		t.like(aStatus, {status: 'joined', catalog: {kind: backend.kind}});

		// B waits; A refuses a wrong fingerprint, then adds B with the one B shows. C joins through B.
		await b.json(['init', '--name', 'B']);
		const bId = (await b.json<StatusResult>(['status'])).installationId;
		const wrong = await a.rscm(['instance', 'add', bId, '--fingerprint', '0000-0000-0000-0000', '--json']);
		t.is(wrong.code, 1);
		t.is(parseJson<JsonError>(wrong).error.code, 'INVALID_INPUT');
		t.is((await b.json<StatusResult>(['status'])).status, 'waiting');
		await join(t, a, b, 'B');
		const cId = await join(t, b, c, 'C');
		t.deepEqual((await c.json<StatusResult>(['status'])).instances, {joined: 3, waiting: 0, total: 3});

		const imported = await a.json<{imported: number}>(['datasource', 'import'], importLines());
		t.is(imported.imported, dataSources);

		// B and C keep reading every value in their own processes while A changes the key.
		const readers = await Promise.all([startReader(catalog, b.directory), startReader(catalog, c.directory)]);
		const change = await a.rscm(['key', 'change', '--yes', '--json']);
		const summaries = await Promise.all(readers.map(async reader => reader.stop()));
		t.is(change.code, 0, change.stderr);
		t.like(parseJson(change), {fromVersion: 1, toVersion: 2, reencrypted: values});
		for (const summary of summaries) {
			t.is(summary.failures, 0, summary.errors.join('; '));
			t.true(summary.reads > 0);
			t.true(summary.readsOverlappingRotation > 0, `no read overlapped the key change: ${JSON.stringify(summary)}`);
		}

		t.log(`readers during the key change: ${summaries.map(summary => `${summary.reads} reads (${summary.readsOverlappingRotation} during the rotation)`).join(', ')}`);
		t.like(await keyState(catalog), {primary: [2], retired: [1], active: [], byVersion: {1: 0, 2: values}, rotation: undefined});
		t.is((await c.json<{password: string}>(['datasource', 'show', dataSourceName(1999), '--reveal'])).password, dataSourceValues(1999).password);

		// Remove C: it is no longer registered.
		await a.json(['instance', 'remove', cId, '--yes']);
		t.is((await c.json<StatusResult>(['status'])).status, 'not-initialized');

		// Losing every server: back up first (so the last one may go), remove all, then recover on a fresh server.
		const backup = path.join(home, 'rskey.snk');
		await a.json(['key', 'backup', '--file', backup, '--password-stdin'], `${strongPassword}\n`);
		await a.json(['instance', 'remove', bId, '--yes']);
		await a.json(['instance', 'remove', aInit.installationId, '--yes']);
		t.deepEqual(await a.json<unknown[]>(['instance', 'list']), []);

		const d = server(catalog, path.join(home, 'd'));
		const dInit = await d.json<InitResult>(['init', '--name', 'D']);
		t.like(dInit, {status: 'waiting', catalogCreated: false});
		const restored = await d.json<{fingerprints: string[]}>(['key', 'restore', '--file', backup, '--password-stdin'], `${strongPassword}\n`);
		t.is(restored.fingerprints.length, 1);
		t.like(await d.json<StatusResult>(['status']), {status: 'joined', catalog: {catalogId: aStatus.catalog.catalogId}});
		const check = await readOnce(catalog, d.directory);
		t.like(check, {reads: 1, failures: 0, readable: values}, check.errors.join('; '));
		t.is((await d.json<{connectionString: string}>(['datasource', 'show', dataSourceName(0), '--reveal'])).connectionString, dataSourceValues(0).connectionString);
	});

	backend.test(`two key changes started at once on ${backend.label}: one finishes, the other refuses with BUSY; nothing is corrupted`, async t => {
		assertBuilt();
		const catalog = await backend.locate(t);
		const home = await tempDirectory(t);
		const a = server(catalog, path.join(home, 'a'));
		const b = server(catalog, path.join(home, 'b'));
		await a.json(['init', '--name', 'A']);
		await join(t, a, b, 'B');
		t.is((await a.json<{imported: number}>(['datasource', 'import'], importLines())).imported, dataSources);

		const args = (directory: string) => ['--catalog', catalog, '--instance-dir', directory, 'key', 'change', '--yes', '--json'];
		const results = await Promise.all([collect(spawnCli(args(a.directory)), 80_000), collect(spawnCli(args(b.directory)), 80_000)]);
		const succeeded = results.filter(result => result.code === 0);
		const failed = results.filter(result => result.code !== 0);
		t.true(succeeded.length >= 1, results.map(result => result.stdout + result.stderr).join('\n'));
		for (const result of failed) {
			t.is(result.code, 1);
			t.is(parseJson<JsonError>(result).error.code, 'BUSY');
		}

		t.log(`${succeeded.length} finished, ${failed.length} refused with BUSY`);
		// Each finished change moved the primary one version on; a refused one changed nothing.
		const state = await keyState(catalog);
		const primary = 1 + succeeded.length;
		t.deepEqual(state.primary, [primary]);
		t.deepEqual(state.active, []);
		t.is(state.rotation, undefined);
		t.is(state.total, values);
		t.is(state.byVersion[primary], values);
		for (const version of state.retired) t.is(state.byVersion[version], 0, `values left under retired version ${version}`);

		for (const directory of [a.directory, b.directory]) {
			const check = await readOnce(catalog, directory);
			t.like(check, {failures: 0, readable: values}, check.errors.join('; '));
		}
	});
}
