import {randomBytes} from 'node:crypto';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import Database from 'better-sqlite3';
import type pg from 'pg';
import {fingerprintPublicKey} from '../../source/core/fingerprint.ts';
import {generateIdentity, wrapKey} from '../../source/core/key-wrap.ts';
import {tempDirectory} from '../helpers/catalog-fixtures.ts';
import {adminClient, dropSchema, postgresSuite, schemaUrl, uniqueSchema} from '../helpers/postgres-server.ts';
import {assertBuilt, parseJson, runCli, type JsonError} from '../helpers/run-cli.ts';

/**
 * The catalog writer as an attacker: someone who can run SQL on the catalog (a PostgreSQL role with rights on the
 * schema, anyone who can write the SQLite file) but holds no instance's private key. Each attack is mounted from
 * outside — raw SQL and the documented formats (docs/FORMATS.md) — against the built `rscm`, on both backends.
 */

type RawSql = {
	run(sql: string, ...parameters: unknown[]): Promise<void>;
	rows(sql: string, ...parameters: unknown[]): Promise<Array<Record<string, unknown>>>;
};

type Backend = {name: string; location(t: ExecutionContext): Promise<{catalog: string; sql: RawSql}>};

const sqlite: Backend = {
	name: 'SQLite',
	async location(t) {
		const catalog = path.join(await tempDirectory(t), 'catalog.db');
		// Opened per statement, as another process would, so rscm's own connection sees every change.
		const withDatabase = <T>(work: (database: Database.Database) => T): T => {
			const database = new Database(catalog);
			try {
				return work(database);
			} finally {
				database.close();
			}
		};

		const positional = (sql: string) => sql.replaceAll(/\$\d+/g, '?');
		return {
			catalog,
			sql: {
				run: async (sql, ...parameters) => void withDatabase(database => database.prepare(positional(sql)).run(...parameters)),
				rows: async (sql, ...parameters) => withDatabase(database => database.prepare(positional(sql)).all(...parameters) as Array<Record<string, unknown>>),
			},
		};
	},
};

const postgres: Backend = {
	name: 'PostgreSQL',
	async location(t) {
		const schema = uniqueSchema('rscm_attack');
		t.teardown(async () => dropSchema(schema));
		const query = async (sql: string, parameters: unknown[]) => {
			const client: pg.Client = adminClient();
			await client.connect();
			try {
				await client.query(`SET search_path TO "${schema}"`);
				return (await client.query(sql, parameters)).rows as Array<Record<string, unknown>>;
			} finally {
				await client.end();
			}
		};

		return {
			catalog: schemaUrl(schema),
			sql: {
				run: async (sql, ...parameters) => void (await query(sql, parameters)),
				rows: async (sql, ...parameters) => query(sql, parameters),
			},
		};
	},
};

type Deployment = {
	sql: RawSql;
	cli(instance: string, args: string[], stdin?: string): ReturnType<typeof runCli>;
};

async function deployment(t: ExecutionContext, backend: Backend): Promise<Deployment> {
	assertBuilt();
	const root = await tempDirectory(t);
	const {catalog, sql} = await backend.location(t);
	return {
		sql,
		cli: async (instance, args, stdin) =>
			runCli([...args, '--catalog', catalog, '--instance-dir', path.join(root, instance)], stdin === undefined ? {} : {stdin}),
	};
}

function errorCode(result: Awaited<ReturnType<typeof runCli>>): string {
	return parseJson<JsonError>(result).error.code;
}

const {maybe: postgresMaybe} = await postgresSuite('catalog writer attacks');

for (const [backend, maybe] of [
	[sqlite, test],
	[postgres, postgresMaybe],
] as const) {
	maybe(`${backend.name}: a public key swapped under a waiting instance's fingerprint gets no key, and the swap shows`, async t => {
		const {sql, cli} = await deployment(t, backend);
		t.is((await cli('a', ['init', '--name', 'A'])).code, 0);
		const waiting = parseJson<{installationId: string; identityFingerprint: string}>(await cli('b', ['init', '--name', 'B', '--json']));

		// The attack: only public_key changes; the stored fingerprint column still reads as the real server's.
		const attacker = generateIdentity();
		await sql.run('UPDATE instances SET public_key = $1 WHERE installation_id = $2', attacker.publicKey, waiting.installationId);

		// The admin compares the fingerprint the real server shows: rscm computes it from the key it would wrap to.
		const compared = await cli('a', ['instance', 'add', waiting.installationId, '--fingerprint', waiting.identityFingerprint, '--json']);
		t.is(compared.code, 1);
		t.is(errorCode(compared), 'INVALID_INPUT');
		// An admin who does not compare is stopped too: the column and the key disagree.
		const unchecked = await cli('a', ['instance', 'add', waiting.installationId, '--yes', '--json']);
		t.is(unchecked.code, 1);
		t.is(errorCode(unchecked), 'KEYRING_TAMPERED');
		t.deepEqual(await sql.rows('SELECT version FROM wrapped_keys WHERE installation_id = $1', waiting.installationId), []);

		// What the Scale-out list and `instance list` show is the attacker's key's fingerprint, flagged.
		const listed = parseJson<Array<{installationId: string; identityFingerprint: string; identityTampered: boolean}>>(
			await cli('a', ['instance', 'list', '--json']),
		);
		t.like(listed.find(row => row.installationId === waiting.installationId), {
			identityFingerprint: fingerprintPublicKey(attacker.publicKey),
			identityTampered: true,
		});
	});

	maybe(`${backend.name}: a key of the attacker's wrapped to a joined instance is refused, nothing is written under it, status says so first`, async t => {
		const {sql, cli} = await deployment(t, backend);
		const init = parseJson<{installationId: string}>(await cli('a', ['init', '--name', 'A', '--json']));
		t.is((await cli('a', ['datasource', 'set', 'Sales'], JSON.stringify({password: 'sales-pw'}))).code, 0);

		// The attack: wrapping needs only the public key, so the attacker replaces this instance's copy of version 1.
		const [meta] = await sql.rows('SELECT catalog_id FROM meta');
		const [self] = await sql.rows('SELECT public_key FROM instances WHERE installation_id = $1', init.installationId);
		const plantedKey = randomBytes(32);
		const planted = wrapKey(plantedKey, self!['public_key'] as Uint8Array, meta!['catalog_id'] as string, 1);
		await sql.run('UPDATE wrapped_keys SET wrapped = $1 WHERE installation_id = $2 AND version = 1', planted, init.installationId);

		const write = await cli('a', ['datasource', 'set', 'Planted', '--json'], JSON.stringify({password: 'new-secret'}));
		t.is(write.code, 1);
		t.is(errorCode(write), 'KEYRING_TAMPERED');
		t.deepEqual(await sql.rows("SELECT id FROM secrets WHERE owner = 'Planted'"), []);
		const change = await cli('a', ['key', 'change', '--yes', '--json']);
		t.is(errorCode(change), 'KEYRING_TAMPERED');
		t.deepEqual((await sql.rows('SELECT version FROM key_versions')).map(row => Number(row['version'])), [1]);

		const status = await cli('a', ['status']);
		t.is(status.code, 0);
		t.regex(status.stdout.split('\n')[0]!, /^KEYRING TAMPERED/);
		t.like(parseJson(await cli('a', ['status', '--json'])), {status: 'tampered', primaryKey: undefined});
	});

	maybe(`${backend.name}: escape sequences planted in names reach no terminal: status, instance list and datasource list show them as visible stand-ins`, async t => {
		const {sql, cli} = await deployment(t, backend);
		const init = parseJson<{installationId: string}>(await cli('a', ['init', '--name', 'A', '--json']));
		t.is((await cli('a', ['datasource', 'set', 'Sales'], JSON.stringify({password: 'sales-pw'}))).code, 0);

		// OSC 52 sets the clipboard; ESC[8m conceals what follows; a bidi override reverses it; BEL ends the OSC.
		const hostile = 'VM\u001B]52;c;cm0gLXJmIH4=\u0007\u001B[8m\u202E';
		await sql.run('UPDATE instances SET machine = $1, instance_name = $2 WHERE installation_id = $3', hostile, `A\u001B[2J`, init.installationId);
		await sql.run("UPDATE data_sources SET name = $1 WHERE name = 'Sales'", `Sales\u001B[31m\u009B`);

		for (const args of [['status'], ['instance', 'list'], ['datasource', 'list']]) {
			const result = await cli('a', args);
			t.is(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
			const printed = result.stdout + result.stderr;
			// eslint-disable-next-line no-control-regex -- the point: no C0/C1 control or bidi override but line breaks
			t.notRegex(printed, /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/, args.join(' '));
		}

		t.regex((await cli('a', ['instance', 'list'])).stdout, /VM␛]52;c;cm0gLXJmIH4=␇␛\[8m<U\+202E>/);
		t.regex((await cli('a', ['datasource', 'list'])).stdout, /Sales␛\[31m<U\+009B>/);
	});
}

test('names with control characters are refused at input with INVALID_INPUT, and nothing is created', async t => {
	assertBuilt();
	const root = await tempDirectory(t);
	const catalog = path.join(root, 'catalog.db');
	const instance = ['--catalog', catalog, '--instance-dir', path.join(root, 'a')];
	for (const args of [['init', '--name', 'A\u001B[8m'], ['init', '--name', 'VM\u202E'], ['init', '--name', '  ']]) {
		const result = await runCli([...args, ...instance, '--json']);
		t.is(result.code, 1, args.join(' '));
		t.like(parseJson<JsonError>(result).error, {code: 'INVALID_INPUT'});
	}

	t.is((await runCli(['status', ...instance, '--json'])).code, 0);
	t.like(parseJson(await runCli(['status', ...instance, '--json'])), {catalog: {exists: false}});
	t.is((await runCli(['init', '--name', 'A', ...instance])).code, 0);
	const named = await runCli(['datasource', 'set', 'Sales\u0007', ...instance, '--json'], {stdin: JSON.stringify({password: 'x'})});
	t.like(parseJson<JsonError>(named).error, {code: 'INVALID_INPUT'});
});

