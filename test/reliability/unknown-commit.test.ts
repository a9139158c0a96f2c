import {rm} from 'node:fs/promises';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import type {Catalog} from '../../source/catalog/catalog.ts';
import {openCatalog} from '../../source/catalog/open-catalog.ts';
import {markConnectionFailure} from '../../source/catalog/schema.ts';
import {copyCatalog} from '../../source/core/catalog-copy.ts';
import {readAllSecrets, showDataSource} from '../../source/core/data-sources.ts';
import {deleteEncryptedContent} from '../../source/core/delete-content.ts';
import {isRscmError, RscmError} from '../../source/errors.ts';
import {initialize} from '../../source/core/initialize.ts';
import {listAuditLog} from '../../source/core/audit-log.ts';
import {addInstance} from '../../source/core/instances.ts';
import {backupKey, restoreKey} from '../../source/core/key-backup.ts';
import {changeKey} from '../../source/core/key-change.ts';
import {changeServiceIdentity} from '../../source/core/service-identity.ts';
import type {Session} from '../../source/core/session.ts';
import {getStatus} from '../../source/core/status.ts';
import {confirmKey, dataSourceName, dataSourceValues, joinedInstance, loadDataSources, openTestSession, strongPassword} from '../helpers/catalog-fixtures.ts';

/**
 * The two outcomes a dropped PostgreSQL connection leaves a write transaction in (issue 11), made deterministic: the
 * catalog wrapper below makes the Nth write of an operation either commit and then report the drop ("while the
 * change was being committed: it may or may not have been saved" — the COMMIT went through, the answer was lost) or
 * roll back and report it ("before the change was committed"), as postgres.ts reports them. For every write of each
 * of the six operations, both ways: the operation completes (a key change retries its batches and its retirement)
 * or stops with CATALOG_UNAVAILABLE; running it again completes; every value reads back. The random faults on a real
 * server are in postgres-faults.test.ts; this covers the COMMIT window they rarely hit. SQLite underneath: the core
 * is what is tested, and it sees no backend.
 */

type Outcome = 'committed' | 'rolled back';

const dataSources = 30;

function dropped(outcome: Outcome): RscmError {
	const what = outcome === 'committed' ? 'while the change was being committed: it may or may not have been saved' : 'before the change was committed: nothing of it was saved';
	return markConnectionFailure(
		new RscmError('CATALOG_UNAVAILABLE', `The connection to the PostgreSQL catalog at (simulated) dropped ${what} (terminating connection due to administrator command).`, {
			hint: 'Run the command again once the server answers.',
		}),
	);
}

/** `catalog`, whose write number `which` (counting from 1) commits or rolls back, then reports a dropped connection. */
function failingWrite(catalog: Catalog, which: number, outcome: Outcome): Catalog & {writes(): number} {
	let writes = 0;
	return {
		kind: catalog.kind,
		location: catalog.location,
		queuesWriters: catalog.queuesWriters,
		probe: async () => catalog.probe(),
		serverVersion: async () => catalog.serverVersion(),
		sharedWriteAccess: async () => catalog.sharedWriteAccess(),
		create: async options => catalog.create(options),
		read: async work => catalog.read(work),
		async write(work, options) {
			writes++;
			if (writes !== which) return catalog.write(work, options);
			if (outcome === 'rolled back') {
				return catalog.write(async tx => {
					await work(tx);
					throw dropped(outcome);
				}, options);
			}

			await catalog.write(work, options);
			throw dropped(outcome);
		},
		close: async () => catalog.close(),
		writes: () => writes,
	};
}

type Case = {
	/** What the operation needs before it runs (not faulted). */
	setUp(t: ExecutionContext, a: Session): Promise<Record<string, unknown>>;
	run(session: Session, context: Record<string, unknown>, faulty: (catalog: Catalog) => Catalog): Promise<unknown>;
	/** After the rerun: what must hold besides A joined and every value readable. */
	check?(t: ExecutionContext, a: Session, context: Record<string, unknown>): Promise<void>;
	/** A rerun that meets the first run's work done (its COMMIT went through) may say so with this code. */
	doneCode?: string;
	/** The write that does the work (the copy: its first, into the target; the second only records it). Default 1. */
	workWrite?: number;
	/** From this write on the operation retries on its own and must not stop (a key change: its batches, its retirement). */
	retriesFromWrite?: number;
	/** What to do then before the next rerun (the copy: drop the unverified target, as its hint says). */
	afterDone?(context: Record<string, unknown>): Promise<void>;
	erases?: boolean;
};

const cases: Record<string, Case> = {
	'key change': {
		setUp: async () => ({}),
		run: async session => changeKey(session, {batchSize: 40}),
		retriesFromWrite: 2,
		async check(t, a) {
			t.is((await getStatus(a)).keyVersions.length, 1);
			// A retirement whose COMMIT went through is not done twice.
			t.is((await listAuditLog(a, 1000)).filter(entry => entry.operation === 'change').length, 1);
		},
	},
	restore: {
		async setUp(t, a) {
			const file = path.join(a.instanceDirectory, '..', 'restore.snk');
			await backupKey(a, {file, password: strongPassword});
			return {file};
		},
		run: async (session, context) => restoreKey(session, {file: context['file'] as string, password: strongPassword}),
	},
	'instance add': {
		async setUp(t, a) {
			const b = await openTestSession(t, a.catalog.location, path.join(a.instanceDirectory, '..', 'b'));
			const init = await initialize(b, {name: 'B', machine: 'NODE-B'});
			return {b, id: init.installationId, fingerprint: init.identityFingerprint};
		},
		run: async (session, context) => addInstance(session, context['id'] as string, context['fingerprint'] as string),
		doneCode: 'NOT_WAITING',
		async check(t, a, context) {
			// The added server confirms its key and reads every value.
			const b = context['b'] as Session;
			await confirmKey(b, a);
			t.deepEqual(await readAllSecrets(b), {readable: dataSources * 3, needsReentry: 0});
		},
	},
	'delete content': {
		setUp: async () => ({}),
		run: async session => deleteEncryptedContent(session),
		erases: true,
	},
	'catalog copy': {
		async setUp(t, a) {
			const file = path.join(a.instanceDirectory, '..', 'copy.db');
			return {file, target: undefined};
		},
		async run(session, context, faulty) {
			// The target is where the copy writes: its writes are the ones that fail.
			const target = await openCatalog(context['file'] as string);
			try {
				return await copyCatalog(session, faulty(target));
			} finally {
				await target.close();
			}
		},
		doneCode: 'CATALOG_EXISTS',
		async afterDone(context) {
			await rm(context['file'] as string, {force: true});
			await rm(`${context['file'] as string}-wal`, {force: true});
			await rm(`${context['file'] as string}-shm`, {force: true});
		},
		async check(t, a, context) {
			const copy = await openTestSession(t, context['file'] as string, a.instanceDirectory);
			t.deepEqual(await readAllSecrets(copy), {readable: dataSources * 3, needsReentry: 0});
			await copy.close();
		},
	},
	'account change': {
		async setUp(t, a) {
			return {identity: (await getStatus(a)).identity?.fingerprint};
		},
		run: async session => changeServiceIdentity(session, {allowWithoutBackup: true}),
		async check(t, a, context) {
			t.not((await getStatus(a)).identity?.fingerprint, context['identity']);
		},
	},
};

async function runCase(t: ExecutionContext, name: string, spec: Case, which: number, outcome: Outcome): Promise<{writes: number; stopped: string | undefined}> {
	const {session: a} = await joinedInstance(t);
	await loadDataSources(a, dataSources);
	const context = await spec.setUp(t, a);
	let wrapped: (Catalog & {writes(): number}) | undefined;
	const faulty = (catalog: Catalog) => {
		wrapped = failingWrite(catalog, which, outcome);
		return wrapped;
	};

	// The copy fails its target's writes; every other operation its own catalog's.
	const session = name === 'catalog copy' ? a : {...a, catalog: faulty(a.catalog)};
	let stopped: string | undefined;
	try {
		await spec.run(session, context, faulty);
	} catch (error) {
		const label = `${name}, write ${which} ${outcome}`;
		t.true(isRscmError(error, 'CATALOG_UNAVAILABLE'), `${label}: ${String(error)}`);
		t.false(spec.retriesFromWrite !== undefined && which >= spec.retriesFromWrite, `${label}: stopped instead of retrying`);
		stopped = (error as RscmError).message;
		// Run again, on the catalog as it is.
		try {
			await spec.run(a, context, catalog => catalog);
		} catch (again) {
			t.true(spec.doneCode !== undefined && isRscmError(again, spec.doneCode as never), `${label}, rerun: ${String(again)}`);
			const workWrite = spec.workWrite ?? 1;
			t.true(which > workWrite || (which === workWrite && outcome === 'committed'), `${label}: the rerun found the work done, but it was rolled back`);
			await spec.afterDone?.(context);
			if (spec.afterDone) await spec.run(a, context, catalog => catalog);
		}
	}

	const status = await getStatus(a);
	t.is(status.status, 'joined', `${name}, write ${which} ${outcome}: ${status.statusDetail ?? ''}`);
	t.is(status.rotation, undefined);
	const values = await readAllSecrets(a);
	t.deepEqual(values, spec.erases ? {readable: 0, needsReentry: dataSources * 3} : {readable: dataSources * 3, needsReentry: 0}, `${name}, write ${which} ${outcome}`);
	if (!spec.erases) {
		for (const index of [0, dataSources - 1]) t.like(await showDataSource(a, dataSourceName(index)), dataSourceValues(index));
	}

	await spec.check?.(t, a, context);
	return {writes: wrapped?.writes() ?? 0, stopped};
}

for (const [name, spec] of Object.entries(cases)) {
	test(`${name}: a connection dropped at any of its writes, committed or not, is finished by the operation or its rerun, and no value is lost`, async t => {
		// The undisturbed run counts the writes (a write number past the last never fails).
		const {writes} = await runCase(t, name, spec, Number.POSITIVE_INFINITY, 'committed');
		t.true(writes > 0, `${name} made no write`);
		const summary: string[] = [];
		for (const outcome of ['committed', 'rolled back'] as const) {
			for (let which = 1; which <= writes; which++) {
				const {stopped} = await runCase(t, name, spec, which, outcome);
				summary.push(`write ${which}/${writes} ${outcome}: ${stopped === undefined ? 'completed on its own' : 'stopped, rerun completed'}`);
			}
		}

		t.log(summary.join('\n'));
	});
}
