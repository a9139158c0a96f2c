import {readdir} from 'node:fs/promises';
import path from 'node:path';
import type {ExecutionContext} from 'ava';
import {importDataSources, type DataSourceInput} from '../../source/core/data-sources.ts';
import {isRscmError, type ErrorCode} from '../../source/errors.ts';
import {initialize, type InitializeResult} from '../../source/core/initialize.ts';
import {acceptKey} from '../../source/core/key-accept.ts';
import {openSession, type Session} from '../../source/core/session.ts';
import {getStatus} from '../../source/core/status.ts';
import {tempDirectory} from './temp-dir.ts';

// Where most tests get their temp directory from; it lives with the other temp-directory helpers.
export {tempDirectory} from './temp-dir.ts';

/** Meets every rule of the backup password policy (8+ characters, upper, lower, symbol). */
export const strongPassword = 'Str0ng!Backup#Pass';

/** One deployment: a SQLite catalog file and room for several instance directories in a temp directory. */
export type Deployment = {
	root: string;
	catalogPath: string;
	instanceDirectory(name: string): string;
	/** Opens a session for an instance directory of this deployment; closed at teardown. */
	open(name: string): Promise<Session>;
};

export async function newDeployment(t: ExecutionContext): Promise<Deployment> {
	const root = await tempDirectory(t);
	const catalogPath = path.join(root, 'catalog.db');
	const instanceDirectory = (name: string) => path.join(root, 'instances', name);
	return {
		root,
		catalogPath,
		instanceDirectory,
		open: async name => openTestSession(t, catalogPath, instanceDirectory(name)),
	};
}

export async function openTestSession(t: ExecutionContext, catalog: string, instanceDirectory: string): Promise<Session> {
	// env: {} keeps RSCM_CATALOG / RSCM_INSTANCE_DIR of the developer's shell out of the test.
	const session = await openSession({catalog, instanceDirectory, env: {}});
	let closed = false;
	const close = session.close.bind(session);
	t.teardown(async () => {
		if (!closed) await close();
	});
	return {
		...session,
		close: async () => {
			closed = true;
			await close();
		},
	};
}

export type JoinedInstance = {
	deployment: Deployment;
	session: Session;
	init: InitializeResult;
};

/** A deployment whose first instance ("a") created the catalog and the key and is joined. */
export async function joinedInstance(t: ExecutionContext, name = 'a'): Promise<JoinedInstance> {
	const deployment = await newDeployment(t);
	const session = await deployment.open(name);
	const init = await initialize(session, {name: name.toUpperCase(), machine: 'TESTHOST'});
	if (init.status !== 'joined') throw new Error(`fixture: expected the first instance to join, got ${init.status}`);
	return {deployment, session, init};
}

/**
 * What the admin does on a server another one added (or added again after Delete Encrypted Content): reads the
 * Primary key fingerprint on a joined server and accepts exactly that key on the added one. Returns the fingerprint.
 */
export async function confirmKey(added: Session, joined: Session): Promise<string> {
	const fingerprint = (await getStatus(joined)).primaryKey?.fingerprint;
	if (!fingerprint) throw new Error('fixture: the joined server shows no primary key to compare');
	await acceptKey(added, fingerprint);
	return fingerprint;
}

/** Deterministic, distinct values per data source, so a test can check each one read back. */
export function dataSourceValues(index: number): Required<{[K in keyof DataSourceInput]: string}> {
	return {
		connectionString: `Server=db${index % 7}.example.com;Database=Sales${index}`,
		username: `svc_reports_${index}`,
		password: `p@ss-${index}-${(index * 7919) % 100_003}`,
	};
}

export function dataSourceName(index: number): string {
	return `DS-${String(index).padStart(5, '0')}`;
}

/** Loads `count` data sources with all three fields through the bulk path (one transaction per batch). */
export async function loadDataSources(session: Session, count: number): Promise<void> {
	async function* records() {
		for (let index = 0; index < count; index++) yield {name: dataSourceName(index), ...dataSourceValues(index)};
	}

	await importDataSources(session, records(), {batchSize: 2000});
}

/** Asserts that a promise rejects with an RscmError of the given code; returns the error for more checks. */
export async function rejectsWithCode(t: ExecutionContext, promise: Promise<unknown>, code: ErrorCode) {
	const error = await t.throwsAsync(promise);
	t.true(isRscmError(error), `expected an RscmError ${code}, got ${String(error)}`);
	t.is((error as {code?: string} | undefined)?.code, code, (error as Error | undefined)?.message);
	return error as Error & {code: ErrorCode; hint?: string};
}

/** Names of leftover temp files of the atomic writer (`.NAME.RANDOM.tmp`) in a directory. */
export async function temporaryFiles(directory: string): Promise<string[]> {
	return (await readdir(directory)).filter(name => name.startsWith('.') && name.endsWith('.tmp'));
}
