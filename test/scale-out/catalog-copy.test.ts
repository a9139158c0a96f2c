import path from 'node:path';
import test, {type ExecutionContext, type TestFn} from 'ava';
import type {Catalog} from '../../source/catalog/catalog.ts';
import {openCatalog} from '../../source/catalog/open-catalog.ts';
import {copyCatalog, type CopyProgress} from '../../source/core/catalog-copy.ts';
import {readAllSecrets, setDataSource, showDataSource} from '../../source/core/data-sources.ts';
import {isRscmError} from '../../source/errors.ts';
import {initialize} from '../../source/core/initialize.ts';
import {addInstance} from '../../source/core/instances.ts';
import {backupKey} from '../../source/core/key-backup.ts';
import {changeKey} from '../../source/core/key-change.ts';
import {keyHolder, withKeyring} from '../../source/core/keyring.ts';
import {writeSecret} from '../../source/core/secret-values.ts';
import {getSharedSettings, setEmailSettings, setExecutionAccount} from '../../source/core/shared-settings.ts';
import type {Session} from '../../source/core/session.ts';
import {getStatus} from '../../source/core/status.ts';
import {
	confirmKey,
	dataSourceName,
	dataSourceValues,
	loadDataSources,
	newDeployment,
	openTestSession,
	rejectsWithCode,
	strongPassword,
	tempDirectory,
	type Deployment,
} from '../helpers/catalog-fixtures.ts';
import {assertBuilt, parseJson, runCli, type JsonError} from '../helpers/run-cli.ts';
import {mariadbLocation, mariadbSuite} from '../helpers/mariadb-server.ts';
import {postgresLocation, postgresSuite} from '../helpers/postgres-server.ts';

const dataSourceCount = 300;

/** The database servers a catalog is copied to and from, as PostgreSQL was first; each test makes its own location. */
type Server = {label: string; kind: 'postgres' | 'mariadb'; test: TestFn; locate(t: ExecutionContext): Promise<string>};
const postgres: Server = {
	label: 'PostgreSQL',
	kind: 'postgres',
	test: (await postgresSuite('Catalog copy to PostgreSQL')).maybe,
	locate: async t => postgresLocation(t),
};
const mariadb: Server = {label: 'MariaDB', kind: 'mariadb', test: (await mariadbSuite('Catalog copy to MariaDB')).maybe, locate: mariadbLocation};
const servers = [postgres, mariadb];
/** Tests that need both servers. */
const bothServers = postgres.test === test && mariadb.test === test ? test : (test.skip as unknown as TestFn);

/**
 * A SQLite deployment with something of every kind in it: instances joined and waiting, backed-up key versions,
 * data sources, a value that needs re-entry, a subscription with a secret, shared settings with passwords, an audit
 * log, and a key change stopped half-way (values under two key versions, a pending rotation).
 */
async function richSource(t: ExecutionContext): Promise<{deployment: Deployment; a: Session; b: Session; c: Session}> {
	const deployment = await newDeployment(t);
	const a = await deployment.open('a');
	await initialize(a, {name: 'A', machine: 'HOST-A'});
	const b = await deployment.open('b');
	const c = await deployment.open('c');
	await initialize(b, {name: 'B', machine: 'HOST-B'});
	const cInit = await initialize(c, {name: 'C', machine: 'HOST-C'});
	await addInstance(a, cInit.installationId, cInit.identityFingerprint);
	// C uses the key once its admin confirmed the fingerprint shown on A.
	t.is((await getStatus(c)).status, 'unconfirmed');
	await confirmKey(c, a);
	await loadDataSources(a, dataSourceCount);
	await setExecutionAccount(a, {enabled: true, account: 'CORP\\rs-exec', password: 'exec-pw-ü'});
	await setEmailSettings(a, {
		senderAddress: 'reports@example.com',
		smtpServer: 'smtp.example.com',
		authentication: 'basic',
		useSecureConnection: true,
		userName: 'mailer',
		password: 'smtp-pw',
	});
	const holder = await keyHolder(a);
	await a.catalog.write(async tx =>
		withKeyring(tx, holder, async keyring => {
			await tx.upsertSubscription({
				id: 'sub-1',
				description: 'Weekly sales',
				delivery: 'fileshare',
				settings: {path: '\\\\srv\\drop', format: 'PDF'},
				updatedAt: '2024-05-01T10:00:00.000Z',
			});
			await writeSecret(tx, keyring, {kind: 'subscription', owner: 'sub-1', field: 'password'}, 'share-pw');
			await tx.upsertDataSource('Legacy');
			await tx.markSecretNeedsReentry({kind: 'datasource', owner: 'Legacy', field: 'password'});
		}),
	);
	await backupKey(a, {file: path.join(deployment.root, 'before.snk'), password: strongPassword});

	// Stop a key change after its first batch: the catalog then has a pending rotation and two live key versions.
	const controller = new AbortController();
	const stopped = await t.throwsAsync(
		changeKey(a, {
			batchSize: 100,
			signal: controller.signal,
			onProgress: progress => {
				if (progress.done > 0) controller.abort();
			},
		}),
	);
	t.is((stopped as {code?: string}).code, 'CANCELLED');
	return {deployment, a, b, c};
}

/** Everything a catalog holds, in comparable form; the copy's own audit entries are left out. */
async function dump(catalog: Catalog) {
	return catalog.read(async tx => {
		const info = await tx.getInfo();
		const instances = await tx.listInstances();
		const hex = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('hex') : undefined);
		return {
			catalogId: info.catalogId,
			createdAt: info.createdAt,
			instances: instances.map(row => ({...row, publicKey: hex(row.publicKey)})),
			keyVersions: (await tx.listKeyVersions()).map(row => ({...row, keyCheck: hex(row.keyCheck)})),
			wrapped: await (async () => {
				// One after another: a transaction is one connection, and pg wants one query at a time on it.
				const all = [];
				for (const row of instances) all.push(...(await tx.listWrappedKeys(row.installationId)).map(key => ({...key, wrapped: hex(key.wrapped)})));
				return all;
			})(),
			secrets: (await tx.listSecrets({})).map(row => ({...row, ciphertext: hex(row.ciphertext)})),
			dataSources: await tx.listDataSources(),
			subscriptions: await tx.listSubscriptions(),
			settings: await tx.getSettings(),
			rotation: await tx.getRotation(),
			keyringSeal: await tx.getKeyringSeal().then(row => row && {...row, body: hex(row.body), signature: hex(row.signature)}),
			audit: (await tx.auditAfter(0, 100_000)).filter(entry => entry.operation !== 'catalog-copy'),
		};
	});
}

for (const server of servers) {
	server.test(`SQLite → ${server.label} → SQLite keeps the catalog id, keyring, instances, every value, a pending key change and the audit log`, async t => {
		const {deployment, a} = await richSource(t);
		const before = await dump(a.catalog);
		t.truthy(before.rotation);
		t.is(before.keyVersions.filter(row => row.state !== 'retired').length, 2);
		t.true(before.secrets.some(row => row.keyVersion === 1) && before.secrets.some(row => row.keyVersion === 2));

		const location = await server.locate(t);
		const phases = new Set<CopyProgress['phase']>();
		let maxDone = 0;
		const toServer = await copyCatalog(a, location, {
			batchSize: 64,
			onProgress: progress => {
				phases.add(progress.phase);
				maxDone = Math.max(maxDone, progress.done);
			},
		});
		t.like(toServer, {catalogId: before.catalogId, from: {kind: 'sqlite'}, to: {kind: server.kind}, pendingRotation: true, needsReentry: 1});
		t.regex(toServer.to.serverVersion, new RegExp(`^${server.label} \\d+`));
		t.is(toServer.counts.secrets, before.secrets.length);
		t.is(toServer.decrypted, before.secrets.length - 1);
		t.deepEqual(toServer.counts, {
			instances: 3,
			keyVersions: 2,
			wrappedKeys: 4,
			secrets: dataSourceCount * 3 + 4,
			dataSources: dataSourceCount + 1,
			subscriptions: 1,
			settings: before.settings ? Object.keys(before.settings).length : 0,
			auditEntries: before.audit.length,
			rotation: 1,
			keyringSeal: before.keyringSeal ? 1 : 0,
		});
		t.deepEqual([...phases], ['copying', 'verifying']);
		t.is(maxDone, before.secrets.length);

		// The same instance directory works against the copy: joined, every value readable, settings intact.
		const aOnServer = await openTestSession(t, location, deployment.instanceDirectory('a'));
		t.deepEqual(await dump(aOnServer.catalog), before);
		const status = await getStatus(aOnServer);
		t.like(status, {status: 'joined', catalog: {kind: server.kind, catalogId: before.catalogId, exists: true}});
		t.truthy(status.rotation);
		t.deepEqual(await readAllSecrets(aOnServer), {readable: before.secrets.length - 1, needsReentry: 1});
		t.like((await getSharedSettings(aOnServer)).email, {smtpServer: 'smtp.example.com', password: 'set'});
		t.deepEqual(await showDataSource(aOnServer, dataSourceName(7)), {name: dataSourceName(7), ...dataSourceValues(7), needsReentry: []});
		const audit = await aOnServer.catalog.read(async tx => tx.listAudit(1));
		t.like(audit[0], {operation: 'catalog-copy', outcome: 'success'});
		t.regex(audit[0]!.detail, /^from .*catalog\.db/);

		// And back to a new SQLite file, from the server's copy.
		const back = path.join(deployment.root, 'back.db');
		const toSqlite = await copyCatalog(aOnServer, back, {batchSize: 1000});
		t.like(toSqlite, {catalogId: before.catalogId, to: {kind: 'sqlite', location: back}, decrypted: before.secrets.length - 1});
		const aBack = await openTestSession(t, back, deployment.instanceDirectory('a'));
		t.deepEqual(await dump(aBack.catalog), before);
		t.is((await getStatus(aBack)).status, 'joined');

		// The copy is a catalog in its own right: the pending key change resumes and finishes there, C reads the result,
		// and the source is untouched.
		const c = await openTestSession(t, location, deployment.instanceDirectory('c'));
		const resumed = await changeKey(aOnServer);
		t.true(resumed.resumed);
		t.deepEqual(await readAllSecrets(c), {readable: before.secrets.length - 1, needsReentry: 1});
		t.is((await showDataSource(c, dataSourceName(123))).password, dataSourceValues(123).password);
		t.deepEqual((await dump(a.catalog)).secrets, before.secrets);
		// New values written in the copy get new ids, after the copied ones.
		await setDataSource(aOnServer, 'After copy', {password: 'new'});
		const newest = await aOnServer.catalog.read(async tx => tx.getSecret({kind: 'datasource', owner: 'After copy', field: 'password'}));
		t.true(newest!.id > Math.max(...before.secrets.map(row => row.id)));
	});
}

bothServers('the keyring seal is copied byte for byte, SQLite → PostgreSQL → MariaDB → SQLite, and a catalog without one stays without', async t => {
	const root = await tempDirectory(t);
	const source = await openCatalog(path.join(root, 'catalog.db'));
	t.teardown(async () => source.close());
	await source.create();
	// The catalog stores the seal as opaque bytes; copy neither reads nor checks it, so any bytes do here.
	const seal = {sequence: 41, body: Uint8Array.from({length: 300}, (_, index) => (index * 7) % 256), signature: new Uint8Array(64).fill(0xa5)};
	await source.write(async tx => {
		await tx.upsertDataSource('Sales');
		await tx.putKeyringSeal(seal);
	});
	const before = await dump(source);
	t.deepEqual(before.keyringSeal, {sequence: 41, body: Buffer.from(seal.body).toString('hex'), signature: 'a5'.repeat(64)});

	const postgresCopy = await postgres.locate(t);
	const toPostgres = await copyCatalog(source, postgresCopy);
	t.like(toPostgres, {decrypted: undefined, counts: {keyringSeal: 1, dataSources: 1}});
	const onPostgres = await openCatalog(postgresCopy);
	t.teardown(async () => onPostgres.close());
	t.deepEqual(await dump(onPostgres), before);

	const mariadbCopy = await mariadb.locate(t);
	t.like(await copyCatalog(onPostgres, mariadbCopy), {counts: {keyringSeal: 1, dataSources: 1}});
	const onMariadb = await openCatalog(mariadbCopy);
	t.teardown(async () => onMariadb.close());
	t.deepEqual(await dump(onMariadb), before);

	const back = path.join(root, 'back.db');
	t.like(await copyCatalog(onMariadb, back), {counts: {keyringSeal: 1}});
	const onSqlite = await openCatalog(back);
	t.teardown(async () => onSqlite.close());
	t.deepEqual(await dump(onSqlite), before);

	// Removed in the source: the next copy has none either.
	await source.write(async tx => tx.putKeyringSeal(undefined));
	const unsealed = path.join(root, 'unsealed.db');
	t.like(await copyCatalog(source, unsealed), {counts: {keyringSeal: 0}});
	const copy = await openCatalog(unsealed);
	t.teardown(async () => copy.close());
	t.is(await copy.read(async tx => tx.getKeyringSeal()), undefined);
});

for (const server of servers) {
	server.test(`copy refuses a target that holds a catalog, the source itself, and an instance that cannot verify (${server.label})`, async t => {
		const deployment = await newDeployment(t);
		const a = await deployment.open('a');
		await initialize(a, {name: 'A', machine: 'HOST-A'});
		await setDataSource(a, 'Sales', {password: 'pw'});
		const b = await deployment.open('b');
		await initialize(b, {name: 'B', machine: 'HOST-B'});

		const serverCopy = await server.locate(t);
		await copyCatalog(a, serverCopy);
		const again = await rejectsWithCode(t, copyCatalog(a, serverCopy), 'CATALOG_EXISTS');
		t.regex(again.message, /already holds an rscm catalog/);
		t.truthy(again.hint);

		// Another catalog's file, and the source file itself.
		const other = await openTestSession(t, path.join(deployment.root, 'other.db'), deployment.instanceDirectory('x'));
		await initialize(other);
		await rejectsWithCode(t, copyCatalog(a, other.catalog.location), 'CATALOG_EXISTS');
		await rejectsWithCode(t, copyCatalog(a, deployment.catalogPath), 'CATALOG_EXISTS');

		// A waiting instance holds no key to prove the copy with: refused before anything is written.
		const fresh = path.join(deployment.root, 'fresh.db');
		await rejectsWithCode(t, copyCatalog(b, fresh), 'WAITING_TO_JOIN');
		const probe = await openCatalog(fresh);
		t.is(await probe.probe(), undefined);
		await probe.close();

		// No catalog to copy.
		const empty = await openTestSession(t, path.join(deployment.root, 'none.db'), deployment.instanceDirectory('a'));
		await rejectsWithCode(t, copyCatalog(empty, path.join(deployment.root, 'none-copy.db')), 'CATALOG_NOT_FOUND');
	});
}

for (const server of servers) {
	server.test(`a copy stopped half-way leaves the target empty, and a new copy into it succeeds (${server.label})`, async t => {
		const deployment = await newDeployment(t);
		const a = await deployment.open('a');
		await initialize(a, {name: 'A', machine: 'HOST-A'});
		await loadDataSources(a, 200);
		const serverCopy = await server.locate(t);
		const controller = new AbortController();
		const stopped = await t.throwsAsync(
			copyCatalog(a, serverCopy, {
				batchSize: 50,
				signal: controller.signal,
				onProgress: progress => {
					if (progress.done >= 100) controller.abort();
				},
			}),
		);
		t.true(isRscmError(stopped, 'CANCELLED'), String(stopped));
		const target = await openCatalog(serverCopy);
		try {
			const counts = await target.read(async tx => tx.countRows());
			t.true(Object.values(counts).every(count => count === 0), JSON.stringify(counts));
		} finally {
			await target.close();
		}

		const result = await copyCatalog(a, serverCopy, {batchSize: 50});
		t.is(result.decrypted, 600);
		// The failure was recorded in the source's audit log, without a secret.
		const failures = await a.catalog.read(async tx => (await tx.listAudit(10)).filter(entry => entry.outcome === 'failure'));
		t.like(failures[0], {operation: 'catalog-copy', detail: 'CANCELLED'});
	});
}

for (const server of servers) {
	server.test(`rscm catalog copy, both ways, with the built CLI (${server.label}): same values, same catalog id, the instance joined on each copy`, async t => {
		assertBuilt();
		const root = await tempDirectory(t);
		const sqlite = path.join(root, 'catalog.db');
		const serverCopy = await server.locate(t);
		const back = path.join(root, 'back.db');
		const dir = path.join(root, 'a');
		const cli = async (catalog: string, ...args: string[]) =>
			runCli(['--catalog', catalog, '--instance-dir', dir, ...args], {stdin: args.includes('import') ? lines : undefined});
		const names = Array.from({length: 40}, (_, index) => dataSourceName(index));
		const lines = names.map((name, index) => JSON.stringify({name, ...dataSourceValues(index)})).join('\n') + '\n';

		t.is((await cli(sqlite, 'init', '--name', 'SSRS')).code, 0);
		t.is((await cli(sqlite, 'datasource', 'import')).code, 0);
		const copied = await cli(sqlite, 'catalog', 'copy', '--to', serverCopy, '--json');
		t.is(copied.code, 0, copied.stderr);
		const toServer = parseJson<{catalogId: string; decrypted: number; counts: {secrets: number; dataSources: number}}>(copied);
		t.like(toServer, {decrypted: 120, counts: {secrets: 120, dataSources: 40}});
		const copiedBack = await cli(serverCopy, 'catalog', 'copy', '--to', back);
		t.is(copiedBack.code, 0, copiedBack.stderr);
		t.regex(copiedBack.stdout, /Copied catalog .* to sqlite .*back\.db/);
		t.regex(copiedBack.stdout, /Verified: 120 values decrypt/);

		for (const catalog of [sqlite, serverCopy, back]) {
			const status = parseJson<{status: string; catalog: {catalogId: string}}>(await cli(catalog, 'status', '--json'));
			t.like(status, {status: 'joined', catalog: {catalogId: toServer.catalogId}}, catalog);
		}

		for (const name of [names[0]!, names[17]!, names[39]!]) {
			const shown = await Promise.all([sqlite, serverCopy, back].map(async catalog => (await cli(catalog, 'datasource', 'show', name, '--reveal', '--json')).stdout));
			t.is(shown[1], shown[0]);
			t.is(shown[2], shown[0]);
			t.like(JSON.parse(shown[0]!), {name});
		}

		// A target that holds a catalog: exit 1, CATALOG_EXISTS; --to is required (usage, exit 2).
		const refused = await cli(sqlite, 'catalog', 'copy', '--to', serverCopy, '--json');
		t.is(refused.code, 1);
		t.is(parseJson<JsonError>(refused).error.code, 'CATALOG_EXISTS');
		const usage = await cli(sqlite, 'catalog', 'copy', '--json');
		t.is(usage.code, 2);
		t.is(parseJson<JsonError>(usage).error.code, 'USAGE');
	});
}
