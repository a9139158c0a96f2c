import {randomBytes, sign} from 'node:crypto';
import {chmod} from 'node:fs/promises';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import Database from 'better-sqlite3';
import type pg from 'pg';
import {fingerprintKey, fingerprintPublicKey, keyCheckValue} from '../../source/core/fingerprint.ts';
import {generateIdentity, wrapKey} from '../../source/core/key-wrap.ts';
import {sealFormat, signingKeyOf} from '../../source/core/keyring-seal.ts';
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

/**
 * A keyring seal as docs/FORMATS.md describes it, made by the attacker for its own key: signed with the signing key
 * derived from the planted key, numbered above any seal so far. Timestamps are read back as the catalog returns them.
 */
function forgeSeal(catalogId: string, primaryVersion: number, key: Uint8Array, members: Array<{installationId: string; publicKey: string}>, rows: Array<Record<string, unknown>>) {
	const iso = (value: unknown) => (value === null || value === undefined ? undefined : new Date(value as string).toISOString());
	const body = {
		format: sealFormat,
		catalogId,
		sequence: 1000,
		sealedAt: new Date().toISOString(),
		sealedBy: members[0]!.installationId,
		versions: rows
			.filter(row => Number(row['version']) === primaryVersion)
			.map(row => ({
				version: primaryVersion,
				state: row['state'],
				fingerprint: row['fingerprint'],
				keyCheck: Buffer.from(row['key_check'] as Uint8Array).toString('base64'),
				verifyingKey: signingKeyOf(key, catalogId, primaryVersion).verifyingKey,
				createdAt: iso(row['created_at']),
				backedUpAt: iso(row['backed_up_at']),
			})),
		members,
	};
	const bytes = Buffer.from(JSON.stringify(body), 'utf8');
	const signature = sign(null, Buffer.concat([Buffer.from('rscm keyring seal v1\0', 'utf8'), bytes]), signingKeyOf(key, catalogId, primaryVersion).privateKey);
	return {sequence: 1000, body: bytes, signature};
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

	maybe(`${backend.name}: a planted key version marked primary and wrapped to every instance is refused; nothing is written or re-encrypted under it`, async t => {
		const {sql, cli} = await deployment(t, backend);
		const init = parseJson<{installationId: string}>(await cli('a', ['init', '--name', 'A', '--json']));
		t.is((await cli('a', ['datasource', 'set', 'Sales'], JSON.stringify({password: 'sales-pw'}))).code, 0);

		// The attack (attack 1): version 2 with a key of the attacker's, its key check and fingerprint computed from the
		// key alone, marked primary, wrapped to the joined instance's public key; "Last backup: now" on it too.
		const [meta] = await sql.rows('SELECT catalog_id FROM meta');
		const catalogId = meta!['catalog_id'] as string;
		const [self] = await sql.rows('SELECT public_key FROM instances WHERE installation_id = $1', init.installationId);
		const plantedKey = randomBytes(32);
		const now = new Date().toISOString();
		await sql.run("UPDATE key_versions SET state = 'active' WHERE version = 1");
		await sql.run(
			"INSERT INTO key_versions (version, fingerprint, key_check, state, created_at, backed_up_at) VALUES (2, $1, $2, 'primary', $3, $4)",
			fingerprintKey(plantedKey),
			keyCheckValue(plantedKey, catalogId, 2),
			now,
			now,
		);
		await sql.run(
			'INSERT INTO wrapped_keys (installation_id, version, wrapped) VALUES ($1, 2, $2)',
			init.installationId,
			wrapKey(plantedKey, self!['public_key'] as Uint8Array, catalogId, 2),
		);

		const write = await cli('a', ['datasource', 'set', 'New', '--json'], JSON.stringify({password: 'new-secret'}));
		t.is(errorCode(write), 'KEYRING_TAMPERED');
		t.regex(parseJson<JsonError>(write).error.message, /key version 2 is not in the keyring seal/);
		const change = await cli('a', ['key', 'change', '--yes', '--json']);
		t.is(errorCode(change), 'KEYRING_TAMPERED');
		t.deepEqual(await sql.rows('SELECT id FROM secrets WHERE key_version = 2'), []);
		const status = await cli('a', ['status']);
		t.regex(status.stdout.split('\n')[0]!, /^KEYRING TAMPERED/);
		t.notRegex(status.stdout, new RegExp(fingerprintKey(plantedKey)));
		// Values under the key the seal vouches for still read: the refusal is of the planted key, not of the catalog.
		t.like(parseJson(await cli('a', ['datasource', 'show', 'Sales', '--reveal', '--json'])), {password: 'sales-pw'});

		// The attacker goes further and replaces the seal with one of its own, signed with the planted key: no key this
		// instance trusts endorses version 2, so it is still not used (and the admin is told what to compare).
		const forged = forgeSeal(catalogId, 2, plantedKey, [{installationId: init.installationId, publicKey: Buffer.from(self!['public_key'] as Uint8Array).toString('base64')}], await sql.rows('SELECT * FROM key_versions ORDER BY version'));
		await sql.run('UPDATE keyring_seal SET sequence = $1, body = $2, signature = $3', forged.sequence, forged.body, forged.signature);
		const afterForgery = await cli('a', ['datasource', 'set', 'New', '--json'], JSON.stringify({password: 'new-secret'}));
		t.is(errorCode(afterForgery), 'KEY_NOT_CONFIRMED');
		t.regex(parseJson<JsonError>(afterForgery).error.message, /not endorsed by key version 1/);
		t.like(parseJson(await cli('a', ['status', '--json'])), {status: 'unconfirmed', primaryKey: undefined});
		t.deepEqual(await sql.rows('SELECT id FROM secrets WHERE key_version = 2'), []);
	});

	maybe(`${backend.name}: a rogue instance marked joined gets no key from a key change, and the keyring names it`, async t => {
		const {sql, cli} = await deployment(t, backend);
		const init = parseJson<{installationId: string}>(await cli('a', ['init', '--name', 'A', '--json']));
		t.is((await cli('a', ['datasource', 'set', 'Sales'], JSON.stringify({password: 'sales-pw'}))).code, 0);
		// The attack (attack 3): an instance of the attacker's registers, then is marked joined under A's names.
		// (rscm refuses a second instance named A on one machine, so the attacker renames its own in the tables.)
		const rogue = parseJson<{installationId: string}>(await cli('evil', ['init', '--name', 'EVIL', '--json']));
		const [real] = await sql.rows('SELECT machine, instance_name, joined_at FROM instances WHERE installation_id = $1', init.installationId);
		await sql.run(
			'UPDATE instances SET machine = $1, instance_name = $2, joined_at = $3 WHERE installation_id = $4',
			real!['machine'],
			real!['instance_name'],
			real!['joined_at'],
			rogue.installationId,
		);

		const change = await cli('a', ['key', 'change', '--yes', '--json']);
		t.is(errorCode(change), 'KEYRING_TAMPERED');
		t.regex(parseJson<JsonError>(change).error.message, new RegExp(`instance ${rogue.installationId} is marked joined but is not a sealed member`));
		t.deepEqual(await sql.rows('SELECT version FROM wrapped_keys WHERE installation_id = $1', rogue.installationId), []);
		const reveal = await cli('evil', ['datasource', 'show', 'Sales', '--reveal', '--json']);
		t.is(reveal.code, 1);
		t.false(reveal.stdout.includes('sales-pw'));
		t.regex((await cli('a', ['status'])).stdout.split('\n')[0]!, /^KEYRING TAMPERED/);
		t.like(parseJson(await cli('a', ['datasource', 'show', 'Sales', '--reveal', '--json'])), {password: 'sales-pw'});
	});

	maybe(`${backend.name}: a keyring rolled back to the retired version after a key change is refused; nothing new goes under the old key`, async t => {
		const {sql, cli} = await deployment(t, backend);
		t.is((await cli('a', ['init', '--name', 'A'])).code, 0);
		t.is((await cli('a', ['datasource', 'set', 'Sales'], JSON.stringify({password: 'sales-pw'}))).code, 0);
		// What the attacker saved before the key change: version 1's rows, its wrapped copy and the seal of the time.
		const oldVersion = (await sql.rows('SELECT * FROM key_versions WHERE version = 1'))[0]!;
		const oldCopies = await sql.rows('SELECT * FROM wrapped_keys WHERE version = 1');
		const oldSeal = (await sql.rows('SELECT * FROM keyring_seal'))[0]!;
		t.is((await cli('a', ['key', 'change', '--yes'])).code, 0);

		// The attack (attack 4): every row of version 1 put back as it was, version 2 retired.
		await sql.run("UPDATE key_versions SET state = 'retired', retired_at = $1 WHERE version = 2", new Date().toISOString());
		await sql.run('UPDATE key_versions SET state = $1, retired_at = NULL WHERE version = 1', oldVersion['state']);
		for (const copy of oldCopies) {
			await sql.run('INSERT INTO wrapped_keys (installation_id, version, wrapped) VALUES ($1, $2, $3)', copy['installation_id'], copy['version'], copy['wrapped']);
		}

		await sql.run('UPDATE keyring_seal SET sequence = $1, body = $2, signature = $3', oldSeal['sequence'], oldSeal['body'], oldSeal['signature']);

		const write = await cli('a', ['datasource', 'set', 'New', '--json'], JSON.stringify({password: 'new-secret'}));
		t.is(errorCode(write), 'KEYRING_TAMPERED');
		t.regex(parseJson<JsonError>(write).error.message, /rolled back/);
		t.deepEqual(await sql.rows("SELECT id FROM secrets WHERE owner = 'New'"), []);
		t.regex((await cli('a', ['status'])).stdout.split('\n')[0]!, /^KEYRING TAMPERED/);
	});

	maybe(`${backend.name}: the audit log shows an altered, a forged, an inserted and a removed entry to \`rscm audit verify\``, async t => {
		const {sql, cli} = await deployment(t, backend);
		t.is((await cli('a', ['init', '--name', 'A'])).code, 0);
		t.is((await cli('a', ['datasource', 'set', 'Sales'], JSON.stringify({password: 'sales-pw'}))).code, 0);
		t.is((await cli('a', ['key', 'change', '--yes'])).code, 0);
		t.is((await cli('b', ['init', '--name', 'B'])).code, 0);
		const clean = parseJson<{entries: number; signed: number; unsignedTail: number; findings: unknown[]}>(await cli('a', ['audit', 'verify', '--json']));
		t.like(clean, {findings: []});
		t.true(clean.signed >= 3, JSON.stringify(clean));
		// B registered without a key: its entry is chained but not signed yet.
		t.is(clean.unsignedTail, 1);
		const listed = parseJson<Array<{id: number; operation: string; signed: boolean}>>(await cli('a', ['audit', '--json']));
		t.like(listed[0], {operation: 'register', signed: false});
		t.like(listed.find(entry => entry.operation === 'change'), {signed: true});

		const ids = (await sql.rows('SELECT id FROM audit_log ORDER BY id')).map(row => Number(row['id']));
		const verify = async () => {
			const result = await cli('a', ['audit', 'verify', '--json']);
			t.is(result.code, 1);
			return parseJson<JsonError>(result).error;
		};

		// Altered: the detail of the key change entry rewritten.
		await sql.run("UPDATE audit_log SET detail = 'nothing happened' WHERE operation = 'change'");
		const altered = await verify();
		t.is(altered.code, 'AUDIT_TAMPERED');
		t.regex(altered.message, /altered/);

		// Forged: an entry inserted with a signature the attacker made up, claiming key version 2.
		const [last] = await sql.rows('SELECT chain_hash FROM audit_log ORDER BY id DESC LIMIT 1');
		await sql.run(
			"INSERT INTO audit_log (at, installation_id, operation, fingerprints, outcome, detail, chain_hash, key_version, signature) VALUES ($1, NULL, 'backup', '[]', 'success', 'fake', $2, 2, $3)",
			new Date().toISOString(),
			last!['chain_hash'],
			randomBytes(64),
		);
		const forged = await verify();
		t.regex(forged.message, /problems/);

		// Removed tail: the last entries, including the last one A signed, deleted.
		await sql.run('DELETE FROM audit_log WHERE id >= $1', ids.at(-2));
		const removed = await cli('a', ['audit', 'verify']);
		t.is(removed.code, 1);
		t.regex(removed.stdout, /removed: entry \d+, written by this server, and what followed it are gone/);
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


test('a SQLite catalog file that group or others can write is used, with a warning on status and the Status page', async t => {
	assertBuilt();
	const root = await tempDirectory(t);
	const catalog = path.join(root, 'catalog.db');
	const instance = ['--catalog', catalog, '--instance-dir', path.join(root, 'a')];
	t.is((await runCli(['init', '--name', 'A', ...instance])).code, 0);
	t.deepEqual(parseJson<{warnings: string[]}>(await runCli(['status', ...instance, '--json'])).warnings, []);

	await chmod(catalog, 0o666);
	const report = parseJson<{warnings: string[]; status: string}>(await runCli(['status', ...instance, '--json']));
	t.is(report.status, 'joined');
	t.is(report.warnings.length, 1);
	t.regex(report.warnings[0]!, /can be written by its group and every user \(mode 666\).*chmod 600/);
	const human = await runCli(['status', ...instance]);
	t.regex(human.stdout.split('\n')[0]!, /^Warning: The catalog file .* can be written by its group and every user/);
});
