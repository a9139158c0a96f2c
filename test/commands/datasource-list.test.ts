// `rscm datasource list` streams: pages of data sources are written as they are read, never the whole list held.
// Run in process (runCommand with streams of the test's own) so a slow or closed stdout can be played exactly.
import {PassThrough, Writable} from 'node:stream';
import Database from 'better-sqlite3';
import test, {type ExecutionContext} from 'ava';
import type {CommandIo} from '../../source/commands/command-io.ts';
import {runCommand} from '../../source/commands/run-cli.ts';
import {pageDataSources, setDataSource, type DataSourceSummary} from '../../source/core/data-sources.ts';
import type {Session} from '../../source/core/session.ts';
import {dataSourceName, joinedInstance, loadDataSources} from '../helpers/catalog-fixtures.ts';

async function deployment(t: ExecutionContext, dataSources: number) {
	const joined = await joinedInstance(t);
	if (dataSources > 0) await loadDataSources(joined.session, dataSources);
	const env = {RSCM_CATALOG: joined.deployment.catalogPath, RSCM_INSTANCE_DIR: joined.deployment.instanceDirectory('a')};
	return {...joined, env};
}

function io(env: Record<string, string>, stdout: Writable): {io: CommandIo; stderr: () => string} {
	const stderr = new PassThrough();
	let error = '';
	stderr.on('data', (chunk: Buffer) => (error += chunk.toString('utf8')));
	const stdin = new PassThrough();
	stdin.end('');
	return {io: {stdin, stdout, stderr, env, signal: new AbortController().signal}, stderr: () => error};
}

/** Every data source as the Data Sources page reads them (its own query, one page of them all): what the list must print. */
async function everyDataSource(session: Session): Promise<DataSourceSummary[]> {
	return (await pageDataSources(session, {limit: 100_000})).rows;
}

async function run(env: Record<string, string>, args: string[]): Promise<{code: number; stdout: string; stderr: string}> {
	const stdout = new PassThrough();
	let out = '';
	stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
	const streams = io(env, stdout);
	const code = await runCommand(args, streams.io);
	return {code, stdout: out, stderr: streams.stderr()};
}

test('text: the name column fits the table in 80 columns; a longer name ends in "…"; control characters are shown as stand-ins', async t => {
	const {session, deployment: place, env} = await deployment(t, 0);
	const long = `Finance-${'x'.repeat(60)}`;
	await setDataSource(session, long, {password: 'p'});
	await setDataSource(session, 'Sales', {connectionString: 'Server=db', username: 'u'});
	const db = new Database(place.catalogPath);
	// Planted as a writer of the catalog could (rscm refuses such a name at input), with the values kept.
	db.prepare("UPDATE data_sources SET name = ? WHERE name = 'Sales'").run('Sales\u001B[31m\u009B');
	db.prepare("UPDATE secrets SET owner = ? WHERE owner = 'Sales'").run('Sales\u001B[31m\u009B');
	db.close();

	const result = await run(env, ['datasource', 'list']);
	t.is(result.code, 0, result.stderr);
	const lines = result.stdout.split('\n');
	t.is(lines.pop(), '');
	t.is(lines.length, 3);
	for (const line of lines) t.true(line.length <= 80, `${line.length} columns: ${line}`);
	t.is(lines[0], 'Name                             Connection string  User name      Password');
	t.is(lines[1], `${long.slice(0, 30)}…  unset              unset          set`);
	t.is(lines[2], 'Sales␛[31m<U+009B>               set                set            unset');
	// eslint-disable-next-line no-control-regex -- the point: no control character but the line feeds
	t.notRegex(result.stdout, /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/);
});

test('text over several pages: every data source once, in name order; the name width is that of the first page', async t => {
	const {session, env} = await deployment(t, 1100);
	// Sorts after every DS- name, so it comes in the last page, whose names are longer than those of the first.
	await setDataSource(session, 'Zeta-Reporting', {username: 'u'});
	const result = await run(env, ['datasource', 'list']);
	t.is(result.code, 0, result.stderr);
	const lines = result.stdout.trimEnd().split('\n');
	t.is(lines.length, 1 + 1101);
	t.is(lines[0], 'Name      Connection string  User name      Password');
	t.deepEqual(
		lines.slice(1, -1).map(line => line.slice(0, 8)),
		Array.from({length: 1100}, (_, index) => dataSourceName(index)),
	);
	t.is(lines[1], 'DS-00000  set                set            set');
	t.is(lines.at(-1), 'Zeta-Re…  unset              set            unset');
});

test('--json over several pages: one JSON document, byte for byte the whole list as it was printed before', async t => {
	const {session, env} = await deployment(t, 1100);
	await setDataSource(session, 'Zeta', {password: null});
	const result = await run(env, ['datasource', 'list', '--json']);
	t.is(result.code, 0, result.stderr);
	t.is(result.stderr, '');
	const all = await everyDataSource(session);
	t.is(all.length, 1101);
	t.deepEqual(all.at(-1)!.fields, {connectionString: 'unset', username: 'unset', password: 'unset'});
	t.is(result.stdout, JSON.stringify(all, undefined, '\t') + '\n');
});

test('--json and text of an empty catalog: [] and the header alone', async t => {
	const {env} = await deployment(t, 0);
	t.deepEqual(await run(env, ['datasource', 'list', '--json']), {code: 0, stdout: '[]\n', stderr: ''});
	t.deepEqual(await run(env, ['datasource', 'list']), {code: 0, stdout: 'Name  Connection string  User name      Password\n', stderr: ''});
});

test('--json of a catalog that does not exist: the error is the only document on stdout', async t => {
	const {env, deployment: place} = await deployment(t, 0);
	const result = await run({...env, RSCM_CATALOG: `${place.root}/none.db`}, ['datasource', 'list', '--json']);
	t.is(result.code, 1);
	t.like(JSON.parse(result.stdout) as {error: {code: string}}, {error: {code: 'CATALOG_NOT_FOUND'}});
});

/** A stdout that takes each chunk only when the test lets it (a reader that is slow, or gone). */
function heldStdout() {
	const chunks: string[] = [];
	const waiting: Array<() => void> = [];
	let arrived: () => void = () => undefined;
	const first = new Promise<void>(resolve => {
		arrived = resolve;
	});
	const stream = new Writable({
		highWaterMark: 1024,
		write(chunk: Buffer, _encoding, callback) {
			chunks.push(chunk.toString('utf8'));
			waiting.push(() => {
				callback();
			});
			arrived();
		},
	});
	return {stream, chunks, waiting, first};
}

test('a slow stdout: the list waits for it to drain instead of reading on and buffering the rest; it then finishes whole', async t => {
	const {session, env} = await deployment(t, 1100);
	const stdout = heldStdout();
	const streams = io(env, stdout.stream);
	let code: number | undefined;
	const done = runCommand(['datasource', 'list', '--json'], streams.io).then(exit => {
		code = exit;
	});
	await stdout.first;
	// While the reader takes nothing, the command is parked on 'drain': it neither ends nor queues the later pages.
	await new Promise(resolve => setTimeout(resolve, 300));
	t.is(code, undefined);
	t.is(stdout.chunks.length, 1);
	t.is(stdout.stream.writableLength, stdout.chunks[0]!.length);
	// The reader catches up: one chunk at a time, as many as the command writes.
	while (code === undefined) {
		const next = stdout.waiting.shift();
		if (next) next();
		await new Promise(resolve => setImmediate(resolve));
	}

	await done;
	t.is(code, 0, streams.stderr());
	t.true(stdout.chunks.length >= 3, `${stdout.chunks.length} chunks`);
	t.deepEqual(JSON.parse(stdout.chunks.join('')), await everyDataSource(session));
});

test('a stdout whose reader went away (EPIPE): the list stops there, quietly, with exit 0', async t => {
	const {env} = await deployment(t, 1100);
	const stdout = heldStdout();
	// As command-io.ts's guard does for the process's stdout: an EPIPE is no error of the command.
	const errors: unknown[] = [];
	stdout.stream.on('error', error => errors.push(error));
	const streams = io(env, stdout.stream);
	const done = runCommand(['datasource', 'list'], streams.io);
	await stdout.first;
	stdout.stream.destroy(Object.assign(new Error('write EPIPE'), {code: 'EPIPE'}));
	t.is(await done, 0);
	t.is(streams.stderr(), '');
	t.is(stdout.chunks.length, 1, 'nothing written after the reader left');
	t.like(errors[0], {code: 'EPIPE'});
});
