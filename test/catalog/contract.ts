import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import test, {type ExecutionContext} from 'ava';
import type {
	AuditEntry,
	Catalog,
	CatalogTx,
	InstanceRow,
	KeyringSealRow,
	KeyVersionRow,
	NewAuditEntry,
	RotationRow,
	SecretAddress,
} from '../../source/catalog/catalog.ts';
import type {ErrorCode} from '../../source/errors.ts';
import {openSession} from '../../source/core/session.ts';

/**
 * The one contract every catalog backend passes. Each backend's test file calls catalogContract with a factory that
 * makes a fresh, empty catalog location (a temporary file, a new PostgreSQL schema) per test.
 */
export type CatalogFixture = {
	/** A catalog object on a location that holds no catalog yet. */
	catalog: Catalog;
	/** Opens another catalog object — another connection — on the same location. */
	second: () => Promise<Catalog>;
	/** Records schema version `version` in the created catalog, as a newer rscm would. */
	forgeSchemaVersion: (version: number) => Promise<void>;
	/** Opens a catalog object on the same location that knows only migration steps 1 to `version`, as an older rscm. */
	older: (version: number) => Promise<Catalog>;
	/** The location as `--catalog` takes it (openCatalog, openSession). */
	location: string;
	/** Removes the location. Catalog objects are closed before it runs. */
	cleanup: () => Promise<void>;
};

export type ContractOptions = {
	/** Registers every test as skipped (the backend is not available here). */
	skip?: boolean;
};

type Context = {
	catalog: Catalog;
	second: () => Promise<Catalog>;
	forgeSchemaVersion: (version: number) => Promise<void>;
	older: (version: number) => Promise<Catalog>;
	location: string;
};

const t0 = '2024-05-01T10:00:00.000Z';
const t1 = '2024-05-02T11:30:00.000Z';
const t2 = '2024-06-03T08:15:45.123Z';

function bytes(...values: number[]): Uint8Array {
	return new Uint8Array(values);
}

/** Compares bytes whatever their container (Buffer, Uint8Array). */
function hex(value: Uint8Array | undefined): string | undefined {
	return value === undefined ? undefined : Buffer.from(value).toString('hex');
}

function instance(installationId: string, overrides: Partial<InstanceRow> = {}): InstanceRow {
	return {
		installationId,
		machine: 'SRV01',
		instanceName: 'MSSQLSERVER',
		publicKey: new Uint8Array(32).fill(7),
		identityFingerprint: 'aaaa-bbbb-cccc-dddd',
		identityCreatedAt: t0,
		serviceAccount: 'rsuser',
		registeredAt: t0,
		joinedAt: undefined,
		...overrides,
	};
}

function keyVersion(version: number, overrides: Partial<KeyVersionRow> = {}): KeyVersionRow {
	return {
		version,
		fingerprint: `${version}000-0000-0000-0000`,
		keyCheck: bytes(version, 1, 2, 3),
		state: 'primary',
		createdAt: t0,
		backedUpAt: undefined,
		retiredAt: undefined,
		...overrides,
	};
}

const password = (owner: string): SecretAddress => ({kind: 'datasource', owner, field: 'password'});

/** An unchained audit entry (as written before the chain existed), with what the test sets. */
function auditEntry(overrides: Partial<NewAuditEntry> = {}): NewAuditEntry {
	return {
		at: t0,
		installationId: undefined,
		operation: 'backup',
		fingerprints: [],
		outcome: 'success',
		detail: '',
		chainHash: undefined,
		keyVersion: undefined,
		signature: undefined,
		...overrides,
	};
}

/** An audit entry with its bytes as hex, for deepEqual whatever the container the driver returns (Buffer). */
function comparableAudit(entry: NewAuditEntry | AuditEntry): Record<string, unknown> {
	return {...entry, chainHash: hex(entry.chainHash), signature: hex(entry.signature)};
}

async function rejectsWithCode(t: ExecutionContext, promise: Promise<unknown>, code: ErrorCode): Promise<Error> {
	const error = await t.throwsAsync(promise);
	t.is((error as {code?: string} | undefined)?.code, code, error?.message);
	return error!;
}

export function catalogContract(
	title: string,
	makeCatalog: () => Promise<CatalogFixture>,
	options: ContractOptions = {},
): void {
	const register = options.skip ? test.skip : test;

	/** Runs `body` against a fresh catalog, created unless `created` is false, and always cleans up. */
	function contract(
		name: string,
		body: (t: ExecutionContext, context: Context) => Promise<void>,
		settings: {created?: boolean} = {},
	): void {
		register(`${title}: ${name}`, async t => {
			const fixture = await makeCatalog();
			const opened: Catalog[] = [fixture.catalog];
			const second = async () => {
				const catalog = await fixture.second();
				opened.push(catalog);
				return catalog;
			};
			const older = async (version: number) => {
				const catalog = await fixture.older(version);
				opened.push(catalog);
				return catalog;
			};

			try {
				if (settings.created !== false) await fixture.catalog.create();
				await body(t, {
					catalog: fixture.catalog,
					second,
					forgeSchemaVersion: fixture.forgeSchemaVersion,
					older,
					location: fixture.location,
				});
			} finally {
				for (const catalog of opened) await catalog.close().catch(() => undefined);
				await fixture.cleanup();
			}
		});
	}

	contract(
		'probe says nothing is there before create, and describes the catalog after',
		async (t, {catalog}) => {
			t.is(await catalog.probe(), undefined);
			const created = await catalog.create();
			t.is(created.kind, catalog.kind);
			t.is(created.location, catalog.location);
			t.regex(created.catalogId, /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/);
			t.true(created.schemaVersion >= 1);
			t.is(new Date(created.createdAt).toISOString(), created.createdAt);
			t.true(Math.abs(Date.parse(created.createdAt) - Date.now()) < 60_000);
			t.regex(created.serverVersion, /^(SQLite|PostgreSQL|MariaDB|MySQL) \d+\.\d+/);
			t.deepEqual(await catalog.probe(), created);
		},
		{created: false},
	);

	contract(
		'create is idempotent and keeps the catalog id, on this connection and another',
		async (t, {catalog, second}) => {
			const first = await catalog.create();
			t.deepEqual(await catalog.create(), first);
			const other = await second();
			t.deepEqual((await other.create()).catalogId, first.catalogId);
			t.deepEqual(await other.probe(), first);
		},
		{created: false},
	);

	contract(
		'read and write before create fail with CATALOG_NOT_FOUND naming the location',
		async (t, {catalog}) => {
			for (const attempt of [catalog.read(async tx => tx.getInfo()), catalog.write(async tx => tx.getInfo())]) {
				const error = await rejectsWithCode(t, attempt, 'CATALOG_NOT_FOUND');
				t.true(error.message.includes(catalog.location));
				t.regex((error as {hint?: string}).hint ?? '', /rscm init/);
			}

			t.is(await catalog.probe(), undefined);
		},
		{created: false},
	);

	contract('a catalog with a newer schema version is refused with CATALOG_TOO_NEW', async (t, {catalog, second, forgeSchemaVersion}) => {
		const {schemaVersion} = await catalog.read(async tx => tx.getInfo());
		await forgeSchemaVersion(schemaVersion + 1);
		const other = await second();
		await rejectsWithCode(t, other.read(async tx => tx.listInstances()), 'CATALOG_TOO_NEW');
		await rejectsWithCode(t, other.write(async tx => tx.listInstances()), 'CATALOG_TOO_NEW');
		await rejectsWithCode(t, other.create(), 'CATALOG_TOO_NEW');
	});

	contract('getInfo inside a transaction matches create', async (t, {catalog}) => {
		const created = await catalog.create();
		t.deepEqual(await catalog.read(async tx => tx.getInfo()), created);
		t.deepEqual(await catalog.write(async tx => tx.getInfo()), created);
	});

	contract('instances: insert, get, list, update and delete', async (t, {catalog}) => {
		const a = instance('11111111-1111-4111-8111-111111111111', {registeredAt: t1, joinedAt: t1});
		const b = instance('22222222-2222-4222-8222-222222222222', {machine: 'SRV02', registeredAt: t0});
		await catalog.write(async tx => {
			await tx.insertInstance(a);
			await tx.insertInstance(b);
		});

		await catalog.read(async tx => {
			const got = await tx.getInstance(a.installationId);
			t.truthy(got);
			t.true(got!.publicKey instanceof Uint8Array);
			t.deepEqual({...got!, publicKey: hex(got!.publicKey)}, {...a, publicKey: hex(a.publicKey)});
			t.is(await tx.getInstance('33333333-3333-4333-8333-333333333333'), undefined);
			// Ordered by registration: the older registration first.
			t.deepEqual(
				(await tx.listInstances()).map(row => row.installationId),
				[b.installationId, a.installationId],
			);
		});

		await catalog.write(async tx => {
			await tx.updateInstance(b.installationId, {joinedAt: t2, serviceAccount: 'svc-rs', publicKey: bytes(9, 9)});
			// Present but undefined clears a nullable field: the instance is Waiting to Join again.
			await tx.updateInstance(a.installationId, {joinedAt: undefined});
			await tx.updateInstance(a.installationId, {});
		});
		await catalog.read(async tx => {
			const updated = await tx.getInstance(b.installationId);
			t.is(updated?.joinedAt, t2);
			t.is(updated?.serviceAccount, 'svc-rs');
			t.is(hex(updated?.publicKey), '0909');
			t.is(updated?.machine, 'SRV02');
			t.is((await tx.getInstance(a.installationId))?.joinedAt, undefined);
		});

		await rejectsWithCode(
			t,
			catalog.write(async tx => tx.updateInstance('44444444-4444-4444-8444-444444444444', {machine: 'X'})),
			'UNKNOWN_INSTANCE',
		);

		await catalog.write(async tx => tx.deleteInstance(b.installationId));
		// Deleting what is not there is not an error: remove is idempotent.
		await catalog.write(async tx => tx.deleteInstance(b.installationId));
		t.deepEqual(
			(await catalog.read(async tx => tx.listInstances())).map(row => row.installationId),
			[a.installationId],
		);
	});

	contract('key versions: insert, list in order, update and clear fields', async (t, {catalog}) => {
		await catalog.write(async tx => {
			await tx.insertKeyVersion(keyVersion(2, {state: 'primary', createdAt: t1}));
			await tx.insertKeyVersion(keyVersion(1, {state: 'active', backedUpAt: t0}));
		});
		let versions = await catalog.read(async tx => tx.listKeyVersions());
		t.deepEqual(
			versions.map(row => ({...row, keyCheck: hex(row.keyCheck)})),
			[
				{...keyVersion(1, {state: 'active', backedUpAt: t0}), keyCheck: '01010203'},
				{...keyVersion(2, {state: 'primary', createdAt: t1}), keyCheck: '02010203'},
			],
		);
		t.true(versions[0]!.keyCheck instanceof Uint8Array);

		await catalog.write(async tx => {
			await tx.updateKeyVersion(1, {state: 'retired', retiredAt: t2, backedUpAt: undefined});
			await tx.updateKeyVersion(2, {backedUpAt: t2});
		});
		versions = await catalog.read(async tx => tx.listKeyVersions());
		t.like(versions[0], {version: 1, state: 'retired', retiredAt: t2, backedUpAt: undefined, fingerprint: '1000-0000-0000-0000'});
		t.like(versions[1], {version: 2, state: 'primary', backedUpAt: t2, retiredAt: undefined});
	});

	contract('wrapped keys: put replaces, list per instance, delete by any filter', async (t, {catalog}) => {
		const a = '11111111-1111-4111-8111-111111111111';
		const b = '22222222-2222-4222-8222-222222222222';
		await catalog.write(async tx => {
			await tx.insertInstance(instance(a));
			await tx.insertInstance(instance(b));
			await tx.insertKeyVersion(keyVersion(1, {state: 'active'}));
			await tx.insertKeyVersion(keyVersion(2));
			await tx.putWrappedKey({installationId: a, version: 2, wrapped: bytes(0xa2)});
			await tx.putWrappedKey({installationId: a, version: 1, wrapped: bytes(0xa1)});
			await tx.putWrappedKey({installationId: b, version: 1, wrapped: bytes(0xb1)});
			await tx.putWrappedKey({installationId: b, version: 2, wrapped: bytes(0xb2)});
			await tx.putWrappedKey({installationId: a, version: 1, wrapped: bytes(0xa1, 0xff)});
		});
		const list = async (installationId: string) =>
			(await catalog.read(async tx => tx.listWrappedKeys(installationId))).map(row => [row.installationId, row.version, hex(row.wrapped)]);
		t.deepEqual(await list(a), [
			[a, 1, 'a1ff'],
			[a, 2, 'a2'],
		]);

		await catalog.write(async tx => tx.deleteWrappedKeys({installationId: a, version: 2}));
		t.deepEqual(await list(a), [[a, 1, 'a1ff']]);
		await catalog.write(async tx => tx.deleteWrappedKeys({version: 1}));
		t.deepEqual(await list(a), []);
		t.deepEqual(await list(b), [[b, 2, 'b2']]);
		await catalog.write(async tx => tx.putWrappedKey({installationId: a, version: 2, wrapped: bytes(0xa2)}));
		await catalog.write(async tx => tx.deleteWrappedKeys({installationId: b}));
		t.deepEqual(await list(b), []);
		t.deepEqual(await list(a), [[a, 2, 'a2']]);
		await catalog.write(async tx => tx.deleteWrappedKeys({}));
		t.deepEqual(await list(a), []);
	});

	contract('a wrapped key must belong to a registered instance and a known key version', async (t, {catalog}) => {
		const a = '11111111-1111-4111-8111-111111111111';
		await catalog.write(async tx => tx.insertKeyVersion(keyVersion(1)));
		await t.throwsAsync(catalog.write(async tx => tx.putWrappedKey({installationId: a, version: 1, wrapped: bytes(1)})));
		await catalog.write(async tx => tx.insertInstance(instance(a)));
		await t.throwsAsync(catalog.write(async tx => tx.putWrappedKey({installationId: a, version: 9, wrapped: bytes(1)})));
		t.deepEqual(await catalog.read(async tx => tx.listWrappedKeys(a)), []);
	});

	contract('deleteInstance removes its wrapped keys and leaves the others', async (t, {catalog}) => {
		const a = '11111111-1111-4111-8111-111111111111';
		const b = '22222222-2222-4222-8222-222222222222';
		await catalog.write(async tx => {
			await tx.insertKeyVersion(keyVersion(1));
			for (const id of [a, b]) {
				await tx.insertInstance(instance(id, {joinedAt: t0}));
				await tx.putWrappedKey({installationId: id, version: 1, wrapped: bytes(1, 2, 3)});
			}
		});
		await catalog.write(async tx => tx.deleteInstance(a));
		await catalog.read(async tx => {
			t.deepEqual(await tx.listWrappedKeys(a), []);
			t.is((await tx.listWrappedKeys(b)).length, 1);
			t.is(await tx.getInstance(a), undefined);
		});
	});

	contract('secrets: put, get, replace in place, mark for re-entry, delete', async (t, {catalog}) => {
		const before = Date.now();
		const id = await catalog.write(async tx => tx.putSecret(password('Sales'), bytes(1, 1), 1));
		t.true(Number.isSafeInteger(id) && id > 0);
		let row = await catalog.read(async tx => tx.getSecret(password('Sales')));
		t.like(row, {id, kind: 'datasource', owner: 'Sales', field: 'password', keyVersion: 1, needsReentry: false});
		t.true(row!.ciphertext instanceof Uint8Array);
		t.is(hex(row!.ciphertext), '0101');
		t.is(new Date(row!.updatedAt).toISOString(), row!.updatedAt);
		t.true(Date.parse(row!.updatedAt) >= before - 1000);
		t.is(await catalog.read(async tx => tx.getSecret(password('Nobody'))), undefined);
		t.is(await catalog.read(async tx => tx.getSecret({kind: 'setting', owner: 'Sales', field: 'password'})), undefined);

		await catalog.write(async tx => tx.markSecretNeedsReentry(password('Sales')));
		row = await catalog.read(async tx => tx.getSecret(password('Sales')));
		t.like(row, {id, ciphertext: undefined, keyVersion: undefined, needsReentry: true});

		// Entering the value again keeps the row (and its id) and clears the flag.
		t.is(await catalog.write(async tx => tx.putSecret(password('Sales'), bytes(2), 3)), id);
		row = await catalog.read(async tx => tx.getSecret(password('Sales')));
		t.like(row, {id, keyVersion: 3, needsReentry: false});
		t.is(hex(row!.ciphertext), '02');

		// Marking a field that was never set records it as needing re-entry.
		await catalog.write(async tx => tx.markSecretNeedsReentry({kind: 'setting', owner: 'smtp', field: 'password'}));
		t.like(await catalog.read(async tx => tx.getSecret({kind: 'setting', owner: 'smtp', field: 'password'})), {
			needsReentry: true,
			ciphertext: undefined,
		});

		await catalog.write(async tx => {
			await tx.putSecret({kind: 'datasource', owner: 'Sales', field: 'username'}, bytes(3), 3);
			await tx.putSecret(password('Hr'), bytes(4), 3);
			await tx.putSecret({kind: 'subscription', owner: 'Sales', field: 'password'}, bytes(5), 3);
			await tx.putSecret({kind: 'datasource', owner: 'Hr', field: 'username'}, bytes(6), 3);
			await tx.deleteSecrets({kind: 'datasource', owner: 'Sales'});
			// One field only: the owner's other fields stay.
			await tx.deleteSecrets({kind: 'datasource', owner: 'Hr', field: 'username'});
		});
		t.deepEqual(
			(await catalog.read(async tx => tx.listSecrets({}))).map(secret => [secret.kind, secret.owner, secret.field]),
			[
				['setting', 'smtp', 'password'],
				['datasource', 'Hr', 'password'],
				['subscription', 'Sales', 'password'],
			],
		);
	});

	contract('listSecrets filters by kind and owner and orders by id', async (t, {catalog}) => {
		const ids = await catalog.write(async tx => [
			await tx.putSecret({kind: 'datasource', owner: 'B', field: 'password'}, bytes(1), 1),
			await tx.putSecret({kind: 'datasource', owner: 'A', field: 'password'}, bytes(2), 1),
			await tx.putSecret({kind: 'datasource', owner: 'A', field: 'connectionString'}, bytes(3), 1),
			await tx.putSecret({kind: 'setting', owner: 'A', field: 'password'}, bytes(4), 1),
		]);
		t.deepEqual(ids, [...ids].sort((x, y) => x - y));
		t.is(new Set(ids).size, 4);
		const list = async (filter: Parameters<CatalogTx['listSecrets']>[0]) =>
			(await catalog.read(async tx => tx.listSecrets(filter))).map(row => row.id);
		t.deepEqual(await list({}), ids);
		t.deepEqual(await list({kind: 'datasource'}), ids.slice(0, 3));
		t.deepEqual(await list({owner: 'A'}), ids.slice(1));
		t.deepEqual(await list({kind: 'datasource', owner: 'A'}), ids.slice(1, 3));
		t.deepEqual(await list({kind: 'subscription'}), []);
	});

	contract('counts: by key version, by kind with zeros, and clearAllSecrets', async (t, {catalog}) => {
		t.deepEqual(await catalog.read(async tx => tx.countSecretsByKind()), {
			datasource: {total: 0, needsReentry: 0},
			subscription: {total: 0, needsReentry: 0},
			setting: {total: 0, needsReentry: 0},
		});
		await catalog.write(async tx => {
			await tx.putSecret(password('A'), bytes(1), 1);
			await tx.putSecret(password('B'), bytes(1), 2);
			await tx.putSecret({kind: 'datasource', owner: 'B', field: 'username'}, bytes(1), 2);
			await tx.putSecret({kind: 'setting', owner: 'execution', field: 'password'}, bytes(1), 2);
			await tx.markSecretNeedsReentry({kind: 'setting', owner: 'smtp', field: 'password'});
		});
		await catalog.read(async tx => {
			t.is(await tx.countSecrets(), 5);
			t.is(await tx.countSecrets({}), 5);
			t.is(await tx.countSecrets({keyVersion: 1}), 1);
			t.is(await tx.countSecrets({keyVersion: 2}), 3);
			t.is(await tx.countSecrets({keyVersion: 7}), 0);
			t.deepEqual(await tx.countSecretsByKind(), {
				datasource: {total: 3, needsReentry: 0},
				subscription: {total: 0, needsReentry: 0},
				setting: {total: 2, needsReentry: 1},
			});
		});

		// Only values that are set count: the field already waiting for re-entry is not cleared twice.
		t.is(await catalog.write(async tx => tx.clearAllSecrets()), 4);
		await catalog.read(async tx => {
			t.deepEqual(await tx.countSecretsByKind(), {
				datasource: {total: 3, needsReentry: 3},
				subscription: {total: 0, needsReentry: 0},
				setting: {total: 2, needsReentry: 2},
			});
			t.is(await tx.countSecrets({keyVersion: 2}), 0);
			for (const row of await tx.listSecrets({})) {
				t.like(row, {ciphertext: undefined, keyVersion: undefined, needsReentry: true});
			}
		});
		t.is(await catalog.write(async tx => tx.clearAllSecrets()), 0);
	});

	contract('encryptedValueSummary counts what Delete would erase by kind, names a sample in id order, counts data sources', async (t, {catalog}) => {
		t.deepEqual(await catalog.read(async tx => tx.encryptedValueSummary(3)), {byKind: {datasource: 0, subscription: 0, setting: 0}, sample: [], dataSources: 0});
		await catalog.write(async tx => {
			await tx.putSecret({kind: 'datasource', owner: 'B', field: 'password'}, bytes(1), 1);
			await tx.putSecret({kind: 'setting', owner: 'execution', field: 'password'}, bytes(1), 2);
			await tx.putSecret({kind: 'datasource', owner: 'A', field: 'password'}, bytes(1), 2);
			await tx.putSecret({kind: 'datasource', owner: 'A', field: 'username'}, bytes(1), 2);
			// Waiting for re-entry already: nothing to erase.
			await tx.markSecretNeedsReentry({kind: 'datasource', owner: 'C', field: 'password'});
		});
		t.deepEqual(await catalog.read(async tx => tx.encryptedValueSummary(2)), {
			byKind: {datasource: 3, subscription: 0, setting: 1},
			sample: [
				{kind: 'datasource', owner: 'B', field: 'password'},
				{kind: 'setting', owner: 'execution', field: 'password'},
			],
			dataSources: 2,
		});
		t.is((await catalog.read(async tx => tx.encryptedValueSummary(10))).sample.length, 4);
	});

	contract('encryptedValueCounts counts the encrypted values by kind and names a sample; countSecretOwners counts owners with a value row', async (t, {catalog}) => {
		t.deepEqual(await catalog.read(async tx => tx.encryptedValueCounts(3)), {byKind: {datasource: 0, subscription: 0, setting: 0}, sample: []});
		t.is(await catalog.read(async tx => tx.countSecretOwners('datasource')), 0);
		await catalog.write(async tx => {
			await tx.putSecret({kind: 'datasource', owner: 'B', field: 'password'}, bytes(1), 1);
			await tx.putSecret({kind: 'setting', owner: 'execution', field: 'password'}, bytes(1), 2);
			await tx.putSecret({kind: 'subscription', owner: 'weekly', field: 'password'}, bytes(1), 2);
			await tx.putSecret({kind: 'datasource', owner: 'A', field: 'password'}, bytes(1), 2);
			await tx.putSecret({kind: 'datasource', owner: 'A', field: 'username'}, bytes(1), 2);
			// Waiting for re-entry already: not encrypted, but its owner still has a value to enter.
			await tx.markSecretNeedsReentry({kind: 'datasource', owner: 'C', field: 'password'});
			await tx.markSecretNeedsReentry({kind: 'setting', owner: 'email', field: 'password'});
		});
		t.deepEqual(await catalog.read(async tx => tx.encryptedValueCounts(2)), {
			byKind: {datasource: 3, subscription: 1, setting: 1},
			sample: [
				{kind: 'datasource', owner: 'B', field: 'password'},
				{kind: 'setting', owner: 'execution', field: 'password'},
			],
		});
		t.is(await catalog.read(async tx => tx.countSecretOwners('datasource')), 3);
		// countSecretsByKind counts data sources as the rest of the table: a data source waiting for re-entry too.
		t.deepEqual(await catalog.read(async tx => tx.countSecretsByKind()), {
			datasource: {total: 4, needsReentry: 1},
			subscription: {total: 1, needsReentry: 0},
			setting: {total: 2, needsReentry: 1},
		});
		t.is(await catalog.read(async tx => tx.countSecretOwners('subscription')), 1);
		// The same counts encryptedValueSummary gives, by another way.
		const summary = await catalog.read(async tx => tx.encryptedValueSummary(2));
		t.deepEqual(await catalog.read(async tx => tx.encryptedValueCounts(2)), {byKind: summary.byKind, sample: summary.sample});
	});

	contract('secretsBatch pages through one key version, every row exactly once', async (t, {catalog}) => {
		const expected: number[] = [];
		await catalog.write(async tx => {
			for (let index = 0; index < 53; index++) {
				const version = index % 5 === 0 ? 2 : 1;
				const id = await tx.putSecret({kind: 'datasource', owner: `ds${index}`, field: 'password'}, bytes(index), version);
				if (version === 1) expected.push(id);
			}

			await tx.markSecretNeedsReentry({kind: 'datasource', owner: 'cleared', field: 'password'});
		});

		const seen: number[] = [];
		let afterId = 0;
		let pages = 0;
		for (;;) {
			const batch = await catalog.read(async tx => tx.secretsBatch(1, afterId, 7));
			if (batch.length === 0) break;
			pages++;
			t.true(batch.length <= 7);
			for (const row of batch) {
				t.true(row.ciphertext instanceof Uint8Array);
				// Each row carries its own address and bytes (what re-encrypting it needs), not its neighbour's.
				t.is(row.kind, 'datasource');
				t.deepEqual([...row.ciphertext], [...bytes(Number(row.owner.slice(2)))]);
			}

			seen.push(...batch.map(row => row.id));
			afterId = batch.at(-1)!.id;
		}

		t.deepEqual(seen, expected);
		t.is(pages, Math.ceil(expected.length / 7));
		t.deepEqual(await catalog.read(async tx => tx.secretsBatch(1, afterId, 7)), []);
		t.deepEqual(await catalog.read(async tx => tx.secretsBatch(3, 0, 100)), []);
	});

	contract('replaceSecretCiphertexts moves rows still under the old version and skips the rest', async (t, {catalog}) => {
		const [a, b, c, d] = await catalog.write(async tx => [
			await tx.putSecret(password('A'), bytes(0xa1), 1),
			await tx.putSecret(password('B'), bytes(0xb1), 1),
			await tx.putSecret(password('C'), bytes(0xc1), 1),
			await tx.putSecret(password('D'), bytes(0xd1), 1),
		]);
		const batch = await catalog.read(async tx => tx.secretsBatch(1, 0, 10));
		t.deepEqual(
			batch.map(row => row.id),
			[a, b, c, d],
		);
		// Meanwhile a user rewrites B under the new key, and Delete encrypted content... clears C.
		await catalog.write(async tx => {
			await tx.putSecret(password('B'), bytes(0xbb), 2);
			await tx.markSecretNeedsReentry(password('C'));
		});

		const replaced = await catalog.write(async tx =>
			tx.replaceSecretCiphertexts(1, 2, [
				{id: a!, ciphertext: bytes(0xa2)},
				{id: b!, ciphertext: bytes(0xb2)},
				{id: c!, ciphertext: bytes(0xc2)},
				{id: d!, ciphertext: bytes(0xd2)},
			]),
		);
		t.is(replaced, 2);
		const rows = await catalog.read(async tx => tx.listSecrets({}));
		t.deepEqual(
			rows.map(row => [row.owner, hex(row.ciphertext), row.keyVersion, row.needsReentry]),
			[
				['A', 'a2', 2, false],
				['B', 'bb', 2, false],
				['C', undefined, undefined, true],
				['D', 'd2', 2, false],
			],
		);
		t.is(await catalog.write(async tx => tx.replaceSecretCiphertexts(1, 2, [{id: a!, ciphertext: bytes(0)}])), 0);
		t.is(await catalog.write(async tx => tx.replaceSecretCiphertexts(1, 2, [])), 0);
		t.is(await catalog.read(async tx => tx.countSecrets({keyVersion: 1})), 0);
	});

	contract('data sources: upsert creates once and refreshes updatedAt', async (t, {catalog}) => {
		await catalog.write(async tx => {
			await tx.upsertDataSource('Sales');
			await tx.upsertDataSource('Finance');
		});
		const first = await catalog.read(async tx => tx.getDataSource('Sales'));
		t.truthy(first);
		t.is(first!.name, 'Sales');
		t.is(new Date(first!.createdAt).toISOString(), first!.createdAt);
		await sleep(5);
		await catalog.write(async tx => tx.upsertDataSource('Sales'));
		const second = await catalog.read(async tx => tx.getDataSource('Sales'));
		t.is(second!.createdAt, first!.createdAt);
		t.true(second!.updatedAt > first!.updatedAt);
		t.is(await catalog.read(async tx => tx.getDataSource('Nope')), undefined);
		t.deepEqual(
			(await catalog.read(async tx => tx.listDataSources())).map(row => row.name),
			['Finance', 'Sales'],
		);
	});

	contract('subscriptions: upsert inserts and replaces, list by id', async (t, {catalog}) => {
		const weekly = {id: 'sub-2', description: 'Weekly sales', delivery: 'fileshare', settings: {path: '\\\\srv\\drop', format: 'PDF'}, updatedAt: t0};
		const daily = {id: 'sub-1', description: 'Daily', delivery: 'email', settings: {}, updatedAt: t1};
		await catalog.write(async tx => {
			await tx.upsertSubscription(weekly);
			await tx.upsertSubscription(daily);
		});
		t.deepEqual(await catalog.read(async tx => tx.listSubscriptions()), [daily, weekly]);
		const changed = {...weekly, description: 'Weekly sales (EMEA)', settings: {path: '\\\\srv2\\drop'}, updatedAt: t2};
		await catalog.write(async tx => tx.upsertSubscription(changed));
		t.deepEqual(await catalog.read(async tx => tx.listSubscriptions()), [daily, changed]);
	});

	contract('settings: put, overwrite, and delete with undefined', async (t, {catalog}) => {
		t.deepEqual(await catalog.read(async tx => tx.getSettings()), {});
		await catalog.write(async tx => tx.putSettings({smtpServer: 'mail.example.com', senderAddress: 'rs@example.com'}));
		await catalog.write(async tx => tx.putSettings({smtpServer: 'smtp.example.com', executionAccount: 'DOMAIN\\rsexec'}));
		t.deepEqual(await catalog.read(async tx => tx.getSettings()), {
			smtpServer: 'smtp.example.com',
			senderAddress: 'rs@example.com',
			executionAccount: 'DOMAIN\\rsexec',
		});
		await catalog.write(async tx => tx.putSettings({executionAccount: undefined, missing: undefined, senderAddress: ''}));
		t.deepEqual(await catalog.read(async tx => tx.getSettings()), {smtpServer: 'smtp.example.com', senderAddress: ''});
	});

	contract('rotation: at most one, replaced and cleared', async (t, {catalog}) => {
		t.is(await catalog.read(async tx => tx.getRotation()), undefined);
		const rotation: RotationRow = {
			fromVersion: 1,
			toVersion: 2,
			startedAt: t0,
			total: 1234,
			done: 0,
			lastId: 0,
			leaseOwner: 'install-a',
			leaseExpiresAt: t1,
		};
		await catalog.write(async tx => tx.putRotation(rotation));
		t.deepEqual(await catalog.read(async tx => tx.getRotation()), rotation);
		const progressed = {...rotation, done: 500, lastId: 9_007_199_254, leaseOwner: undefined, leaseExpiresAt: undefined};
		await catalog.write(async tx => tx.putRotation(progressed));
		t.deepEqual(await catalog.read(async tx => tx.getRotation()), progressed);
		await catalog.write(async tx => tx.putRotation(undefined));
		t.is(await catalog.read(async tx => tx.getRotation()), undefined);
	});

	contract('keyring seal: one record, replaced and removed', async (t, {catalog}) => {
		const sealCount = async () => (await catalog.read(async tx => tx.countRows())).keyringSeal;
		const stored = async () => {
			const row = await catalog.read(async tx => tx.getKeyringSeal());
			if (row) {
				t.true(row.body instanceof Uint8Array && row.signature instanceof Uint8Array);
				t.is(typeof row.sequence, 'number');
			}

			return row && {sequence: row.sequence, body: hex(row.body), signature: hex(row.signature)};
		};

		const comparable = (row: KeyringSealRow) => ({sequence: row.sequence, body: hex(row.body), signature: hex(row.signature)});
		t.is(await stored(), undefined);
		t.is(await sealCount(), 0);
		// Opaque bytes, never text: every byte value, zero bytes and invalid UTF-8 come back exactly.
		const first: KeyringSealRow = {
			sequence: 1,
			body: Uint8Array.from({length: 256}, (_, index) => index),
			signature: Uint8Array.from({length: 64}, (_, index) => 255 - index),
		};
		await catalog.write(async tx => tx.putKeyringSeal(first));
		t.deepEqual(await stored(), comparable(first));
		t.is(await sealCount(), 1);

		// A Uint8Array view into a larger buffer stores only its own bytes; the sequence is past 32 bits.
		const backing = new Uint8Array([0xee, 0xee, 0, 1, 0, 0xff, 0xee]);
		const next: KeyringSealRow = {sequence: 9_007_199_254, body: backing.subarray(2, 6), signature: bytes(7, 7, 7)};
		await catalog.write(async tx => tx.putKeyringSeal(next));
		t.deepEqual(await stored(), {sequence: 9_007_199_254, body: '000100ff', signature: '070707'});
		t.is(await sealCount(), 1);

		// Rolled back with its transaction; a read transaction cannot write it.
		await t.throwsAsync(
			catalog.write(async tx => {
				await tx.putKeyringSeal(first);
				throw new Error('the core changed its mind');
			}),
		);
		await rejectsWithCode(t, catalog.read(async tx => tx.putKeyringSeal(undefined)), 'INTERNAL');
		t.deepEqual(await stored(), comparable(next));

		await catalog.write(async tx => tx.putKeyringSeal(undefined));
		t.is(await stored(), undefined);
		t.is(await sealCount(), 0);
		// Removing what is not there is not an error.
		await catalog.write(async tx => tx.putKeyringSeal(undefined));
		t.is(await sealCount(), 0);
	});

	contract(
		'a catalog of an older schema is refused by read and write, and create upgrades it in place',
		async (t, {catalog, older}) => {
			const old = await older(1);
			const catalogId = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
			const created = await old.create({catalogId, createdAt: t1});
			t.is(created.schemaVersion, 1);
			await old.write(async tx => {
				await tx.insertKeyVersion(keyVersion(1));
				await tx.upsertDataSource('Sales');
				await tx.putSecret(password('Sales'), bytes(1, 2, 3), 1);
			});

			t.like(await catalog.probe(), {catalogId, schemaVersion: 1});
			for (const attempt of [catalog.read(async tx => tx.listInstances()), catalog.write(async tx => tx.listInstances())]) {
				const error = await rejectsWithCode(t, attempt, 'CATALOG_UNAVAILABLE');
				t.regex(error.message, /schema version 1/);
				t.regex((error as {hint?: string}).hint ?? '', /rscm init/);
			}

			const upgraded = await catalog.create({catalogId: '11111111-2222-4333-8444-555555555555', createdAt: t2});
			t.true(upgraded.schemaVersion > 1);
			t.deepEqual(upgraded, {...created, schemaVersion: upgraded.schemaVersion});
			t.deepEqual(await catalog.probe(), upgraded);
			await catalog.read(async tx => {
				t.deepEqual((await tx.listKeyVersions()).map(row => row.version), [1]);
				t.is(hex((await tx.getSecret(password('Sales')))?.ciphertext), '010203');
				t.is((await tx.countRows()).keyringSeal, 0);
			});
			await catalog.write(async tx => tx.putKeyringSeal({sequence: 1, body: bytes(1), signature: bytes(2)}));
			t.is((await catalog.read(async tx => tx.countRows())).keyringSeal, 1);
			// Idempotent: nothing left to run.
			t.deepEqual(await catalog.create(), upgraded);
			// The older rscm now meets a newer schema and stops.
			await rejectsWithCode(t, old.read(async tx => tx.listInstances()), 'CATALOG_TOO_NEW');
		},
		{created: false},
	);

	contract(
		'openSession upgrades a catalog of an older schema in place, also when two sessions open it at once',
		async (t, {catalog, older, location}) => {
			const old = await older(1);
			const created = await old.create();
			await old.write(async tx => tx.upsertDataSource('Sales'));
			const directory = await mkdtemp(path.join(os.tmpdir(), 'rscm-upgrade-'));
			try {
				// env: {} keeps RSCM_CATALOG / RSCM_INSTANCE_DIR of the developer's shell out of the test.
				const sessions = await Promise.all(
					['a', 'b'].map(async name => openSession({catalog: location, instanceDirectory: path.join(directory, name), env: {}})),
				);
				try {
					for (const session of sessions) {
						const info = await session.catalog.read(async tx => tx.getInfo());
						t.true(info.schemaVersion > 1);
						t.deepEqual(info, {...created, schemaVersion: info.schemaVersion, location: session.catalog.location});
						t.deepEqual((await session.catalog.read(async tx => tx.listDataSources())).map(row => row.name), ['Sales']);
					}

					await sessions[0]!.catalog.write(async tx => tx.putKeyringSeal({sequence: 1, body: bytes(1), signature: bytes(2)}));
					t.is((await sessions[1]!.catalog.read(async tx => tx.countRows())).keyringSeal, 1);
				} finally {
					for (const session of sessions) await session.close();
				}

				// A current catalog is left as it is: opening a session again changes nothing.
				const before = await catalog.probe();
				const again = await openSession({catalog: location, instanceDirectory: path.join(directory, 'a'), env: {}});
				await again.close();
				t.deepEqual(await catalog.probe(), before);
			} finally {
				await rm(directory, {recursive: true, force: true});
			}
		},
		{created: false},
	);

	contract('audit log: append and list newest first, limited', async (t, {catalog}) => {
		await catalog.write(async tx => {
			await tx.appendAudit(auditEntry({at: t0, installationId: 'inst-a', operation: 'initialize', fingerprints: ['1111-2222-3333-4444']}));
			// Times need not increase with ids (clocks of two servers differ); each is kept as given, never now().
			await tx.appendAudit(auditEntry({at: t1, operation: 'backup', outcome: 'failure', detail: 'WRONG_PASSWORD'}));
			await tx.appendAudit(auditEntry({at: t2, installationId: 'inst-b', operation: 'change', fingerprints: ['a', 'b'], detail: 'v1 → v2'}));
			await tx.appendAudit(auditEntry({at: t0, operation: 'restore'}));
		});
		const entries = await catalog.read(async tx => tx.listAudit(10));
		t.deepEqual(
			entries.map(entry => entry.operation),
			['restore', 'change', 'backup', 'initialize'],
		);
		t.true(entries[0]!.id > entries[1]!.id && entries[1]!.id > entries[2]!.id && entries[2]!.id > entries[3]!.id);
		t.like(entries[0], {at: t0, installationId: undefined});
		t.like(entries[1], {at: t2, installationId: 'inst-b', fingerprints: ['a', 'b'], outcome: 'success', detail: 'v1 → v2'});
		t.like(entries[2], {at: t1, installationId: undefined, fingerprints: [], outcome: 'failure', detail: 'WRONG_PASSWORD'});
		t.like(entries[3], {at: t0, installationId: 'inst-a', fingerprints: ['1111-2222-3333-4444']});
		for (const entry of entries) t.like(entry, {chainHash: undefined, keyVersion: undefined, signature: undefined});
		t.deepEqual(
			(await catalog.read(async tx => tx.listAudit(2))).map(entry => entry.operation),
			['restore', 'change'],
		);
	});

	contract(
		'audit log: chain fields round-trip, appendAudit returns increasing ids, lastAuditEntry is the newest',
		async (t, {catalog, second}) => {
			t.is(await catalog.read(async tx => tx.lastAuditEntry()), undefined);
			// Opaque bytes: every byte value, zero bytes, invalid UTF-8, and a view into a larger buffer (only its own
			// bytes are stored).
			const backing = new Uint8Array([0xee, 0xee, ...Array.from({length: 32}, (_, index) => (index * 37) % 256), 0xee]);
			const entries: NewAuditEntry[] = [
				// Written before the chain existed: nothing to chain onto, nothing signed.
				auditEntry({at: t0, operation: 'initialize', fingerprints: ['1111-2222-3333-4444']}),
				// Chained but unsigned (no signing key at hand), with a time that has milliseconds.
				auditEntry({at: t2, installationId: 'inst-a', operation: 'backup', outcome: 'failure', detail: 'WRONG_PASSWORD', chainHash: backing.subarray(2, 34)}),
				// Chained and signed; the key version is past 16 bits.
				auditEntry({
					at: t1,
					installationId: 'inst-b',
					operation: 'change',
					fingerprints: ['a', 'b'],
					detail: 'v1 → v2',
					chainHash: Uint8Array.from({length: 32}, (_, index) => 255 - index),
					keyVersion: 70_000,
					signature: Uint8Array.from({length: 64}, (_, index) => (index % 2 === 0 ? 0 : 0xff)),
				}),
			];
			const ids = await catalog.write(async tx => {
				const written: number[] = [];
				for (const entry of entries) {
					written.push(await tx.appendAudit(entry));
					// Inside the same transaction: the entry just written is the one the next chains onto.
					t.is((await tx.lastAuditEntry())?.id, written.at(-1));
				}

				return written;
			});
			t.true(ids.every(id => Number.isSafeInteger(id) && id > 0));
			t.true(ids[0]! < ids[1]! && ids[1]! < ids[2]!);
			const expected = entries.map((entry, index) => comparableAudit({id: ids[index]!, ...entry}));
			t.is(expected[1]!.chainHash, hex(backing.subarray(2, 34)));

			await catalog.read(async tx => {
				t.deepEqual((await tx.listAudit(10)).map(entry => comparableAudit(entry)), [...expected].reverse());
				t.deepEqual((await tx.auditAfter(0, 10)).map(entry => comparableAudit(entry)), expected);
				t.deepEqual((await tx.auditAfter(ids[0]!, 1)).map(entry => comparableAudit(entry)), [expected[1]]);
				t.deepEqual(comparableAudit((await tx.lastAuditEntry())!), expected[2]);
				// Undefined stays undefined, never null or empty bytes.
				const [, , oldest] = await tx.listAudit(10);
				t.true(Object.hasOwn(oldest!, 'chainHash') && oldest!.chainHash === undefined);
				t.is(oldest!.keyVersion, undefined);
				t.is(oldest!.signature, undefined);
			});

			// Catalog copy: insertAuditEntries keeps every field as read (the fixture has one location, so the copies
			// go into the same log under ids of their own), and another connection reads back the same bytes.
			const source = await catalog.read(async tx => tx.auditAfter(0, 10));
			const copies = source.map((entry, index) => ({...entry, id: 1000 + index}));
			await catalog.write(async tx => tx.insertAuditEntries(copies));
			const other = await second();
			await other.read(async tx => {
				t.deepEqual(
					(await tx.auditAfter(ids[2]!, 10)).map(entry => comparableAudit(entry)),
					expected.map((entry, index) => ({...entry, id: 1000 + index})),
				);
				t.deepEqual(comparableAudit((await tx.lastAuditEntry())!), {...expected[2], id: 1002});
			});

			// A new entry after the copy gets a higher id and becomes the newest.
			const next = auditEntry({at: t2, operation: 'restore', chainHash: bytes(), keyVersion: 1, signature: bytes(0)});
			const nextId = await catalog.write(async tx => tx.appendAudit(next));
			t.true(nextId > 1002);
			// Empty bytes are a value, not a missing one.
			t.deepEqual(comparableAudit((await catalog.read(async tx => tx.lastAuditEntry()))!), comparableAudit({id: nextId, ...next}));

			// Rolled back with its transaction; a read transaction cannot append.
			await t.throwsAsync(
				catalog.write(async tx => {
					await tx.appendAudit(auditEntry({operation: 'discarded'}));
					throw new Error('the core changed its mind');
				}),
			);
			await rejectsWithCode(t, catalog.read(async tx => tx.appendAudit(auditEntry())), 'INTERNAL');
			t.is((await catalog.read(async tx => tx.lastAuditEntry()))?.id, nextId);
		},
	);

	contract(
		'create with a catalog id and creation time uses them, and never changes an existing catalog',
		async (t, {catalog, second}) => {
			const catalogId = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';
			const created = await catalog.create({catalogId, createdAt: t1});
			t.like(created, {catalogId, createdAt: t1});
			t.deepEqual(await catalog.probe(), created);
			const other = await second();
			t.deepEqual(await other.create({catalogId: '11111111-2222-4333-8444-555555555555', createdAt: t2}), created);
			t.like(await catalog.read(async tx => tx.getInfo()), {catalogId, createdAt: t1});
		},
		{created: false},
	);

	contract('copy paging: secretsAfter, dataSourcesAfter and auditAfter page whole tables in order', async (t, {catalog}) => {
		await catalog.write(async tx => {
			await tx.insertKeyVersion(keyVersion(1, {state: 'active'}));
			await tx.insertKeyVersion(keyVersion(2));
			for (const [index, name] of ['b', 'A', 'a', 'Z', 'é'].entries()) {
				await tx.upsertDataSource(name);
				await tx.putSecret(password(name), bytes(index), index % 2 === 0 ? 1 : 2);
				await tx.appendAudit(auditEntry({operation: `op-${index}`, chainHash: bytes(index)}));
			}

			await tx.markSecretNeedsReentry({kind: 'setting', owner: 'email', field: 'password'});
		});
		const all = await catalog.read(async tx => tx.listSecrets({}));
		const paged: number[] = [];
		let after = 0;
		for (;;) {
			const page = await catalog.read(async tx => tx.secretsAfter(after, 2));
			if (page.length === 0) break;
			t.true(page.length <= 2);
			paged.push(...page.map(row => row.id));
			after = page.at(-1)!.id;
		}

		t.deepEqual(paged, all.map(row => row.id));
		t.deepEqual(await catalog.read(async tx => tx.secretsAfter(0, 100)), all);
		// Byte order: upper case before lower case, é (two UTF-8 bytes) last.
		const names: string[] = [];
		let afterName: string | undefined;
		for (;;) {
			const page = await catalog.read(async tx => tx.dataSourcesAfter(afterName, 2));
			if (page.length === 0) break;
			names.push(...page.map(row => row.name));
			afterName = page.at(-1)!.name;
		}

		t.deepEqual(names, ['A', 'Z', 'a', 'b', 'é']);
		const audit = await catalog.read(async tx => tx.auditAfter(0, 3));
		t.deepEqual(audit.map(entry => entry.operation), ['op-0', 'op-1', 'op-2']);
		t.deepEqual(audit.map(entry => hex(entry.chainHash)), ['00', '01', '02']);
		t.deepEqual(
			(await catalog.read(async tx => tx.auditAfter(audit.at(-1)!.id, 10))).map(entry => entry.operation),
			['op-3', 'op-4'],
		);
	});

	contract('dataSourceStatesAfter: a page of data sources in byte order, each with the states of its values and never their bytes', async (t, {catalog}) => {
		await catalog.write(async tx => {
			await tx.insertKeyVersion(keyVersion(1));
			await tx.insertDataSources(['b', 'é', 'A', 'Z', 'a'].map(name => ({name, createdAt: t0, updatedAt: t1})));
			for (const name of ['A', 'Z', 'a', 'é']) await tx.putSecret(password(name), bytes(1), 1);
			await tx.putSecret({kind: 'datasource', owner: 'A', field: 'username'}, bytes(2), 1);
			await tx.putSecret({kind: 'datasource', owner: 'A', field: 'connectionString'}, bytes(3), 1);
			await tx.markSecretNeedsReentry({kind: 'datasource', owner: 'Z', field: 'username'});
			// Another kind's value under a data source's name is not the data source's.
			await tx.putSecret({kind: 'setting', owner: 'b', field: 'password'}, bytes(4), 1);
		});
		const page = async (after: string | undefined, limit: number) => catalog.read(async tx => tx.dataSourceStatesAfter(after, limit));
		const set = (field: string) => ({field, needsReentry: false});
		// The limit counts data sources, not values: A has three.
		t.deepEqual(await page(undefined, 2), [
			{name: 'A', createdAt: t0, updatedAt: t1, values: [set('connectionString'), set('password'), set('username')]},
			{name: 'Z', createdAt: t0, updatedAt: t1, values: [set('password'), {field: 'username', needsReentry: true}]},
		]);
		t.deepEqual(await page('Z', 2), [
			{name: 'a', createdAt: t0, updatedAt: t1, values: [set('password')]},
			{name: 'b', createdAt: t0, updatedAt: t1, values: []},
		]);
		t.deepEqual((await page('b', 2)).map(row => row.name), ['é']);
		t.deepEqual(await page('é', 2), []);
		// A value cleared by Delete Encrypted Content needs re-entry too.
		await catalog.write(async tx => tx.clearAllSecrets());
		t.deepEqual((await page(undefined, 10)).map(row => [row.name, row.values.every(value => value.needsReentry)]), [
			['A', true],
			['Z', true],
			['a', true],
			['b', true],
			['é', true],
		]);
	});

	contract('findDataSources pages by name both ways in byte order, from either end', async (t, {catalog}) => {
		const all = ['A', 'Z', 'a', 'b', 'c', 'é'];
		await catalog.write(async tx => tx.insertDataSources(['c', 'é', 'A', 'b', 'Z', 'a'].map(name => ({name, createdAt: t0, updatedAt: t1}))));
		const names = async (query: Parameters<CatalogTx['findDataSources']>[0]) =>
			(await catalog.read(async tx => tx.findDataSources(query))).map(row => row.name);
		t.deepEqual(await names({limit: 10}), all);
		t.deepEqual(await names({limit: 2}), ['A', 'Z']);
		t.deepEqual(await names({after: 'Z', limit: 2}), ['a', 'b']);
		t.deepEqual(await names({after: 'a', inclusive: true, limit: 2}), ['a', 'b']);
		// A name that is not there still places the page: after "B" comes "Z".
		t.deepEqual(await names({after: 'B', inclusive: true, limit: 1}), ['Z']);
		t.deepEqual(await names({before: 'b', fromEnd: true, limit: 2}), ['Z', 'a']);
		t.deepEqual(await names({fromEnd: true, limit: 2}), ['c', 'é']);
		t.deepEqual(await names({before: 'A', fromEnd: true, limit: 5}), []);
		t.deepEqual(await names({after: 'é', limit: 5}), []);
		const [first] = await catalog.read(async tx => tx.findDataSources({limit: 1}));
		t.deepEqual(first, {name: 'A', createdAt: t0, updatedAt: t1});
		t.is(await catalog.read(async tx => tx.countDataSources()), 6);
	});

	contract('findDataSources and countDataSources filter by a substring in any case; LIKE wildcards are plain', async (t, {catalog}) => {
		const stored = ['Sales Europe', 'sales_us', 'SALESX', 'École', '100% Sales', 'Back\\Office', 'Marketing'];
		await catalog.write(async tx => tx.insertDataSources(stored.map(name => ({name, createdAt: t0, updatedAt: t0}))));
		const matching = async (contains: string) => {
			const rows = await catalog.read(async tx => tx.findDataSources({contains, limit: 100}));
			t.is(await catalog.read(async tx => tx.countDataSources(contains)), rows.length, `count of "${contains}"`);
			return rows.map(row => row.name);
		};

		t.deepEqual(await matching('sales'), ['100% Sales', 'SALESX', 'Sales Europe', 'sales_us']);
		t.deepEqual(await matching('SALES E'), ['Sales Europe']);
		t.deepEqual(await matching('éc'), ['École']);
		// `_` and `%` would match any character(s) as LIKE wildcards; typed in a filter they are themselves.
		t.deepEqual(await matching('s_u'), ['sales_us']);
		t.deepEqual(await matching('%'), ['100% Sales']);
		t.deepEqual(await matching('0%'), ['100% Sales']);
		t.deepEqual(await matching('k\\o'), ['Back\\Office']);
		t.deepEqual(await matching('\\'), ['Back\\Office']);
		t.deepEqual(await matching('nothing'), []);
		// Filter and keyset paging combine: the page after "SALESX" among the matches.
		t.deepEqual(
			(await catalog.read(async tx => tx.findDataSources({contains: 'sales', after: 'SALESX', limit: 1}))).map(row => row.name),
			['Sales Europe'],
		);
		t.deepEqual(
			(await catalog.read(async tx => tx.findDataSources({contains: 'sales', before: 'sales_us', fromEnd: true, limit: 2}))).map(row => row.name),
			['SALESX', 'Sales Europe'],
		);
	});

	contract('secretsOfOwners reads the values of the named owners of one kind only; deleteDataSource says whether one was there', async (t, {catalog}) => {
		await catalog.write(async tx => {
			await tx.insertKeyVersion(keyVersion(1));
			for (const name of ['Sales', 'HR', 'Ops']) {
				await tx.upsertDataSource(name);
				await tx.putSecret(password(name), bytes(1), 1);
			}

			await tx.putSecret({kind: 'datasource', owner: 'Sales', field: 'username'}, bytes(2), 1);
			await tx.markSecretNeedsReentry({kind: 'setting', owner: 'Sales', field: 'password'});
		});
		await catalog.read(async tx => {
			const rows = await tx.secretsOfOwners('datasource', ['Sales', 'Ops', 'Missing']);
			t.deepEqual(rows.map(row => `${row.kind}/${row.owner}/${row.field}`).sort(), [
				'datasource/Ops/password',
				'datasource/Sales/password',
				'datasource/Sales/username',
			]);
			t.deepEqual(await tx.secretsOfOwners('datasource', []), []);
			t.deepEqual((await tx.secretsOfOwners('setting', ['Sales'])).map(row => row.needsReentry), [true]);
		});
		t.true(await catalog.write(async tx => tx.deleteDataSource('HR')));
		t.false(await catalog.write(async tx => tx.deleteDataSource('HR')));
		await catalog.read(async tx => {
			t.deepEqual((await tx.listDataSources()).map(row => row.name), ['Ops', 'Sales']);
			// The row only: the core removes the values in the same transaction.
			t.is((await tx.secretsOfOwners('datasource', ['HR'])).length, 1);
		});
	});

	contract('copy inserts keep ids and fields, and later inserts get new ids', async (t, {catalog}) => {
		const secrets = [
			{id: 7, kind: 'datasource' as const, owner: 'Sales', field: 'password', ciphertext: bytes(9, 9), keyVersion: 2, needsReentry: false, updatedAt: t0},
			{id: 42, kind: 'setting' as const, owner: 'email', field: 'password', ciphertext: undefined, keyVersion: undefined, needsReentry: true, updatedAt: t2},
		];
		const audit: AuditEntry[] = [
			{id: 3, ...auditEntry({at: t0, installationId: 'inst-a', operation: 'initialize', fingerprints: ['1111-2222'], detail: 'v1'})},
			{
				id: 90,
				...auditEntry({at: t1, operation: 'backup', outcome: 'failure', detail: 'WRONG_PASSWORD'}),
				chainHash: bytes(1, 2, 3),
				keyVersion: 2,
				signature: bytes(4, 5),
			},
		];
		await catalog.write(async tx => {
			await tx.insertKeyVersion(keyVersion(2));
			await tx.insertSecrets(secrets);
			await tx.insertSecrets([]);
			await tx.insertDataSources([{name: 'Sales', createdAt: t0, updatedAt: t1}]);
			await tx.insertDataSources([]);
			await tx.insertAuditEntries(audit);
			await tx.insertAuditEntries([]);
		});
		await catalog.read(async tx => {
			const rows = await tx.listSecrets({});
			t.deepEqual(rows.map(row => ({...row, ciphertext: hex(row.ciphertext)})), secrets.map(row => ({...row, ciphertext: hex(row.ciphertext)})));
			t.deepEqual(await tx.listDataSources(), [{name: 'Sales', createdAt: t0, updatedAt: t1}]);
			t.deepEqual(
				[...(await tx.listAudit(10))].reverse().map(entry => comparableAudit(entry)),
				audit.map(entry => comparableAudit(entry)),
			);
			t.deepEqual(await tx.countRows(), {
				instances: 0,
				keyVersions: 1,
				wrappedKeys: 0,
				secrets: 2,
				dataSources: 1,
				subscriptions: 0,
				settings: 0,
				auditEntries: 2,
				rotation: 0,
				keyringSeal: 0,
			});
		});
		// The id sequences moved past the copied ids.
		const id = await catalog.write(async tx => {
			const auditId = await tx.appendAudit(auditEntry({operation: 'later'}));
			t.true(auditId > 90);
			return tx.putSecret(password('Hr'), bytes(1), 2);
		});
		t.true(id > 42);
		t.true((await catalog.read(async tx => tx.lastAuditEntry()))!.id > 90);
		// A duplicate id is a bug in the caller, not something to overwrite silently.
		await rejectsWithCode(t, catalog.write(async tx => tx.insertSecrets([secrets[0]!])), 'INTERNAL');
	});

	contract('a write that throws rolls back everything it did and rethrows the same error', async (t, {catalog}) => {
		const failure = new Error('the core changed its mind');
		const thrown = await t.throwsAsync(
			catalog.write(async tx => {
				await tx.insertKeyVersion(keyVersion(1));
				await tx.putSecret(password('Sales'), bytes(1), 1);
				await tx.putSettings({smtpServer: 'x'});
				throw failure;
			}),
		);
		t.is(thrown, failure);
		await catalog.read(async tx => {
			t.deepEqual(await tx.listKeyVersions(), []);
			t.is(await tx.countSecrets(), 0);
			t.deepEqual(await tx.getSettings(), {});
		});
		// The connection is usable afterwards.
		await catalog.write(async tx => tx.putSettings({smtpServer: 'y'}));
		t.deepEqual(await catalog.read(async tx => tx.getSettings()), {smtpServer: 'y'});
	});

	contract('a write inside read() is refused and leaves nothing behind', async (t, {catalog}) => {
		await t.throwsAsync(catalog.read(async tx => tx.putSettings({smtpServer: 'x'})));
		t.deepEqual(await catalog.read(async tx => tx.getSettings()), {});
		await catalog.write(async tx => tx.putSettings({smtpServer: 'y'}));
		t.deepEqual(await catalog.read(async tx => tx.getSettings()), {smtpServer: 'y'});
	});

	contract('a transaction nested in another on the same catalog fails instead of hanging', async (t, {catalog}) => {
		await rejectsWithCode(t, catalog.write(async () => catalog.read(async tx => tx.listInstances())), 'INTERNAL');
		await rejectsWithCode(t, catalog.read(async () => catalog.write(async tx => tx.listInstances())), 'INTERNAL');
		t.deepEqual(await catalog.read(async tx => tx.listInstances()), []);
	});

	contract('a transaction object cannot be used after its transaction ended', async (t, {catalog}) => {
		let leaked: CatalogTx | undefined;
		await catalog.write(async tx => {
			leaked = tx;
		});
		await rejectsWithCode(t, leaked!.putSettings({smtpServer: 'late'}), 'INTERNAL');
		t.deepEqual(await catalog.read(async tx => tx.getSettings()), {});
	});

	contract('calls on one catalog object run one after another', async (t, {catalog}) => {
		const log: string[] = [];
		await Promise.all(
			['a', 'b', 'c'].map(async name =>
				catalog.write(async tx => {
					log.push(`${name} begins`);
					await sleep(20);
					await tx.upsertDataSource(name);
					log.push(`${name} ends`);
				}),
			),
		);
		for (let index = 0; index < log.length; index += 2) {
			t.is(log[index]!.split(' ')[0], log[index + 1]!.split(' ')[0], log.join(', '));
		}

		t.is((await catalog.read(async tx => tx.listDataSources())).length, 3);
	});

	contract('two writers on two connections are serialized', async (t, {catalog, second}) => {
		const other = await second();
		const log: string[] = [];
		let signalLocked!: () => void;
		const locked = new Promise<void>(resolve => {
			signalLocked = resolve;
		});
		const writerA = catalog.write(async tx => {
			log.push('A begins');
			signalLocked();
			await sleep(300);
			await tx.putSettings({lastWriter: 'A'});
			log.push('A ends');
		});
		await locked;
		const writerB = other.write(async tx => {
			log.push('B begins');
			// B's work must see A's committed write, or B could overwrite what A did (a lost update).
			log.push(`B sees ${(await tx.getSettings()).lastWriter}`);
			await tx.putSettings({lastWriter: 'B'});
		});
		await Promise.all([writerA, writerB]);
		t.deepEqual(log, ['A begins', 'A ends', 'B begins', 'B sees A']);
		t.deepEqual(await catalog.read(async tx => tx.getSettings()), {lastWriter: 'B'});
	});

	contract('a reader on another connection does not see uncommitted writes, and is not blocked', async (t, {catalog, second}) => {
		const other = await second();
		await catalog.write(async tx => {
			await tx.upsertDataSource('Sales');
			await tx.putSecret(password('Sales'), bytes(1), 1);
			t.truthy(await tx.getDataSource('Sales'));
			await other.read(async otherTx => {
				t.is(await otherTx.getDataSource('Sales'), undefined);
				t.is(await otherTx.countSecrets(), 0);
			});
		});
		await other.read(async tx => {
			t.truthy(await tx.getDataSource('Sales'));
			t.is(await tx.countSecrets(), 1);
		});
	});

	contract('a read sees one snapshot even when a writer commits meanwhile', async (t, {catalog, second}) => {
		const other = await second();
		await catalog.write(async tx => tx.upsertDataSource('Before'));
		await other.read(async tx => {
			t.is((await tx.listDataSources()).length, 1);
			await catalog.write(async writeTx => writeTx.upsertDataSource('During'));
			t.deepEqual(
				(await tx.listDataSources()).map(row => row.name),
				['Before'],
			);
		});
		t.is((await other.read(async tx => tx.listDataSources())).length, 2);
	});

	contract('close ends the catalog object; another object still works', async (t, {catalog, second}) => {
		await catalog.write(async tx => tx.upsertDataSource('Sales'));
		await catalog.close();
		await t.throwsAsync(catalog.read(async tx => tx.listDataSources()));
		const other = await second();
		t.is((await other.read(async tx => tx.listDataSources())).length, 1);
	});
}
