// The rscm side of the PostgreSQL fault matrix (test/reliability/postgres-faults.ts): a child process that runs the
// core operations in-process, one request at a time, on sessions it keeps open between requests (as the
// Configuration Manager does, so a pool that lost connections is reused, the harder case).
//
//   node --import tsx test/reliability/postgres-faults-worker.ts        (spawned with an IPC channel)
//
// It installs no 'uncaughtException' or 'unhandledRejection' handler ON PURPOSE: an unhandled 'error' event of a pg
// client (the bug of issue 11) must end this process, so that the parent sees a crash and fails, instead of the
// test runner itself going down or the failure being swallowed.
import process from 'node:process';
import {copyCatalog} from '../../source/core/catalog-copy.ts';
import {importDataSources} from '../../source/core/data-sources.ts';
import {deleteEncryptedContent} from '../../source/core/delete-content.ts';
import {isRscmError} from '../../source/errors.ts';
import {initialize} from '../../source/core/initialize.ts';
import {acceptKey} from '../../source/core/key-accept.ts';
import {backupKey, restoreKey} from '../../source/core/key-backup.ts';
import {changeKey} from '../../source/core/key-change.ts';
import {keyringTransaction} from '../../source/core/keyring.ts';
import {addInstance, removeInstance} from '../../source/core/instances.ts';
import {readSecret} from '../../source/core/secret-values.ts';
import {changeServiceIdentity} from '../../source/core/service-identity.ts';
import {openSession, type Session} from '../../source/core/session.ts';
import {getStatus} from '../../source/core/status.ts';
import {dataSourceName, dataSourceValues} from '../helpers/catalog-fixtures.ts';

export type WorkerRequest = {id: number; op: string; session: string; args?: Record<string, unknown>};
export type WorkerReply =
	| {id: number; ok: true; result: unknown}
	| {id: number; ok: false; code: string; message: string; hint: string | undefined; rscm: boolean}
	| {id: number; progress: {done: number; total: number}};

export const faultPassword = 'Fault!Matrix#Pass-2025';

const sessions = new Map<string, Session>();

function session(name: string): Session {
	const found = sessions.get(name);
	if (!found) throw new Error(`no session ${name}`);
	return found;
}

/**
 * Every stored data source value, decrypted and compared with what was written: how many read back right, how many
 * need re-entry, and the first few that are wrong or missing. One read transaction.
 */
async function checkValues(target: Session, count: number) {
	return keyringTransaction(
		target,
		'read',
		async (tx, keyring) => {
			const rows = await tx.listSecrets({kind: 'datasource'});
			const seen = new Set<string>();
			let readable = 0;
			let needsReentry = 0;
			const wrong: string[] = [];
			for (const row of rows) {
				seen.add(`${row.owner}\0${row.field}`);
				const value = readSecret(keyring, keyring.catalogId, row);
				if (value === undefined) {
					needsReentry++;
					continue;
				}

				const index = Number(row.owner.slice(3));
				const expected = dataSourceValues(index)[row.field as keyof ReturnType<typeof dataSourceValues>];
				if (row.owner !== dataSourceName(index) || value !== expected) {
					if (wrong.length < 5) wrong.push(`${row.owner}.${row.field} reads back wrong`);
				} else readable++;
			}

			for (let index = 0; index < count && wrong.length < 5; index++) {
				for (const field of ['connectionString', 'username', 'password']) {
					if (!seen.has(`${dataSourceName(index)}\0${field}`)) wrong.push(`${dataSourceName(index)}.${field} is missing`);
				}
			}

			return {rows: rows.length, readable, needsReentry, wrong};
		},
		{readingOnly: true},
	);
}

async function load(target: Session, count: number): Promise<void> {
	async function* records() {
		for (let index = 0; index < count; index++) yield {name: dataSourceName(index), ...dataSourceValues(index)};
	}

	await importDataSources(target, records(), {batchSize: 2000});
}

async function run(request: WorkerRequest, progress: (done: number, total: number) => void): Promise<unknown> {
	const args = request.args ?? {};
	switch (request.op) {
		case 'open': {
			const opened = await openSession({catalog: args['catalog'] as string, instanceDirectory: args['instanceDirectory'] as string, env: {}});
			sessions.set(request.session, opened);
			return undefined;
		}

		case 'close': {
			await sessions.get(request.session)?.close();
			sessions.delete(request.session);
			return undefined;
		}

		case 'init': {
			const result = await initialize(session(request.session), {name: args['name'] as string, machine: 'FAULTHOST'});
			return {status: result.status};
		}

		case 'status': {
			const status = await getStatus(session(request.session));
			return {
				status: status.status,
				detail: status.statusDetail,
				installationId: status.installationId,
				identity: status.identity?.fingerprint,
				primary: status.primaryKey?.fingerprint,
				primaryVersion: status.primaryKey?.version,
				liveVersions: status.keyVersions.length,
				rotation: status.rotation ? {done: status.rotation.done, total: status.rotation.total} : undefined,
			};
		}

		case 'load':
			await load(session(request.session), args['count'] as number);
			return undefined;

		case 'check':
			return checkValues(session(request.session), args['count'] as number);

		case 'key-change': {
			const result = await changeKey(session(request.session), {
				batchSize: args['batchSize'] as number,
				onProgress: ({done, total}) => progress(done, total),
			});
			return {reencrypted: result.reencrypted, resumed: result.resumed, toVersion: result.toVersion};
		}

		case 'backup':
			await backupKey(session(request.session), {file: args['file'] as string, password: faultPassword, overwrite: true});
			return undefined;

		case 'restore':
			await restoreKey(session(request.session), {file: args['file'] as string, password: faultPassword});
			return undefined;

		case 'add':
			await addInstance(session(request.session), args['id'] as string, args['fingerprint'] as string);
			return undefined;

		case 'accept':
			await acceptKey(session(request.session), args['fingerprint'] as string);
			return undefined;

		case 'remove':
			await removeInstance(session(request.session), args['id'] as string);
			return undefined;

		case 'delete-content': {
			const result = await deleteEncryptedContent(session(request.session));
			return {cleared: result.cleared};
		}

		case 'copy': {
			const result = await copyCatalog(session(request.session), args['to'] as string, {batchSize: args['batchSize'] as number});
			return {decrypted: result.decrypted, secrets: result.counts.secrets};
		}

		case 'account-change': {
			const result = await changeServiceIdentity(session(request.session), {allowWithoutBackup: true});
			return {fingerprint: result.fingerprint};
		}

		default:
			throw new Error(`unknown operation ${request.op}`);
	}
}

function reply(message: WorkerReply): void {
	process.send!(message);
}

process.on('message', (request: WorkerRequest) => {
	const progress = (done: number, total: number) => reply({id: request.id, progress: {done, total}});
	run(request, progress).then(
		result => reply({id: request.id, ok: true, result: result ?? null}),
		(error: unknown) =>
			reply({
				id: request.id,
				ok: false,
				rscm: isRscmError(error),
				code: isRscmError(error) ? error.code : 'NOT_AN_RSCM_ERROR',
				message: error instanceof Error ? error.message : String(error),
				hint: isRscmError(error) ? error.hint : undefined,
			}),
	);
});
// The parent closes the channel when it is done: close every session and exit.
process.on('disconnect', () => {
	void Promise.all([...sessions.values()].map(async opened => opened.close().catch(() => undefined))).then(() => process.exit(0));
});
process.send!({id: 0, ok: true, result: 'ready'} satisfies WorkerReply);
