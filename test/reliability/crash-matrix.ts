/**
 * The crash matrix (issue 6): SIGKILL the built `rscm` at random moments during the five operations that change key
 * material or write a key to disk, then check what the key operations promise — the catalog opens, every value decrypts
 * (after Delete: every value needs re-entry, never a mix), the same command run again completes, and no file is left
 * that could pass for a good backup.
 *
 * Shared by `npm run stress` (scripts/stress.ts, 200+ kills) and `npm test` (test/reliability/crash-matrix.test.ts,
 * a short run). Random but reproducible: every choice comes from one seeded generator; the kill moments also depend
 * on the machine's speed, which the calibration step measures first.
 */
import {access, mkdir, mkdtemp, readdir, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import {readAllSecrets, showDataSource, importDataSources} from '../../source/core/data-sources.ts';
import {initialize} from '../../source/core/initialize.ts';
import {backupKey, verifyBackup} from '../../source/core/key-backup.ts';
import {openSession, type Session} from '../../source/core/session.ts';
import {getStatus} from '../../source/core/status.ts';
import {identityPath} from '../../source/instance/identity-file.ts';
import {collect, spawnCli, type CliResult} from '../helpers/run-cli.ts';

export const crashOperations = ['key-change', 'restore', 'delete-content', 'account-change', 'backup'] as const;
export type CrashOperation = (typeof crashOperations)[number];

export type CrashMatrixOptions = {
	/** SIGKILLs that landed while the process ran (runs that finished first are not counted). */
	kills: number;
	seed: number;
	/** Data sources in the key-change lane: enough for several batches of 1000 values, so kills land mid-rotation. */
	keyChangeDataSources?: number;
	log?: (line: string) => void;
};

export type OperationReport = {
	kills: number;
	/** Runs that exited before the kill was sent (checked all the same). */
	finishedFirst: number;
	passed: number;
	failed: number;
	/** What the kill left, as seen by the checks: old state, new state, rotation pending, temp file left… */
	outcomes: Record<string, number>;
	/** Calibrated duration of one uninterrupted run, ms. */
	durationMs: number;
};

export type CrashMatrixReport = {
	seed: number;
	kills: number;
	passed: number;
	failed: number;
	failures: string[];
	perOperation: Record<CrashOperation, OperationReport>;
	elapsedMs: number;
};

/** mulberry32: small, fast and good enough to pick operations and kill moments reproducibly. */
export function randomGenerator(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d_2b_79_f5) >>> 0;
		let value = state;
		value = Math.imul(value ^ (value >>> 15), value | 1);
		value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
		return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
	};
}

export const crashPassword = 'Crash!Matrix#Pass-2025';
const smallLaneDataSources = 20;

type Lane = {
	operation: CrashOperation;
	root: string;
	catalog: string;
	instanceDirectory: string;
	env: Record<string, string>;
	dataSources: number;
	/** A backup made at setup, for the restore lane. */
	baseBackup: string;
};

function valuesOf(index: number) {
	return {
		connectionString: `Server=crash${index % 5};Database=Matrix${index}`,
		username: `crash_user_${index}`,
		password: `crash-pw-${index}-${(index * 7919) % 10_007}`,
	};
}

function nameOf(index: number): string {
	return `CM-${String(index).padStart(5, '0')}`;
}

async function withLaneSession<T>(lane: Lane, work: (session: Session) => Promise<T>): Promise<T> {
	const session = await openSession({catalog: lane.catalog, instanceDirectory: lane.instanceDirectory, env: {}});
	try {
		return await work(session);
	} finally {
		await session.close();
	}
}

async function fill(session: Session, count: number): Promise<void> {
	async function* records() {
		for (let index = 0; index < count; index++) yield {name: nameOf(index), ...valuesOf(index)};
	}

	await importDataSources(session, records(), {batchSize: 2000});
}

async function setUpLane(root: string, operation: CrashOperation, dataSources: number): Promise<Lane> {
	const laneRoot = path.join(root, operation);
	const lane: Lane = {
		operation,
		root: laneRoot,
		catalog: path.join(laneRoot, 'catalog.db'),
		instanceDirectory: path.join(laneRoot, 'instance'),
		env: {},
		dataSources,
		baseBackup: path.join(laneRoot, 'base.snk'),
	};
	lane.env = {RSCM_CATALOG: lane.catalog, RSCM_INSTANCE_DIR: lane.instanceDirectory};
	await mkdir(laneRoot, {recursive: true, mode: 0o700});
	await withLaneSession(lane, async session => {
		await initialize(session, {name: 'SSRS', machine: 'CRASHHOST'});
		await fill(session, dataSources);
		await backupKey(session, {file: lane.baseBackup, password: crashPassword});
	});
	return lane;
}

function argvFor(lane: Lane, trial: number): {argv: string[]; stdin?: string; file?: string} {
	switch (lane.operation) {
		case 'key-change':
			return {argv: ['key', 'change', '--yes']};
		case 'restore':
			return {argv: ['key', 'restore', '--file', lane.baseBackup, '--password-stdin'], stdin: `${crashPassword}\n`};
		case 'delete-content':
			return {argv: ['key', 'delete-content', '--yes']};
		case 'account-change':
			return {argv: ['account', 'change', '--yes']};
		case 'backup': {
			const file = path.join(lane.root, `backup-${trial}.snk`);
			return {argv: ['key', 'backup', '--file', file, '--password-stdin'], stdin: `${crashPassword}\n`, file};
		}
	}
}

async function exists(file: string): Promise<boolean> {
	return access(file).then(
		() => true,
		() => false,
	);
}

/** Temp files of the atomic writer (`.NAME.….tmp`) in the places a key operation writes. */
async function temporaries(lane: Lane): Promise<string[]> {
	const found: string[] = [];
	for (const directory of [lane.root, lane.instanceDirectory]) {
		for (const name of await readdir(directory)) if (name.startsWith('.') && name.endsWith('.tmp')) found.push(path.join(directory, name));
	}

	return found;
}

class CheckFailure extends Error {}

function expect(condition: boolean, message: string): asserts condition {
	if (!condition) throw new CheckFailure(message);
}

/**
 * The invariants after a kill (phase 'killed') or after the rerun (phase 'rerun'). Returns a label for what the
 * kill left, for the report.
 */
async function check(lane: Lane, phase: 'killed' | 'rerun', file: string | undefined, before: {primary: number; identity: string}): Promise<string> {
	const outcome: string[] = [];
	const nextIdentityPending = await exists(identityPath(lane.instanceDirectory, 'next'));
	const expectedValues = lane.dataSources * 3;
	await withLaneSession(lane, async session => {
		// The catalog opens and this instance can use its key (loadIdentity settles an interrupted identity change).
		const status = await getStatus(session);
		expect(status.catalog.exists, 'the catalog does not open');
		expect(status.status === 'joined', `instance status is ${status.status}: ${status.statusDetail ?? ''}`);
		const {readable, needsReentry} = await readAllSecrets(session);
		expect(readable + needsReentry === expectedValues, `${readable + needsReentry} values, expected ${expectedValues}`);
		if (lane.operation === 'delete-content') {
			// All or nothing: the delete is one transaction.
			expect(readable === 0 || needsReentry === 0, `after a delete, ${readable} values readable and ${needsReentry} need re-entry`);
			if (phase === 'rerun') expect(readable === 0, 'the delete was rerun but values are still readable');
			outcome.push(readable === 0 ? 'erased' : 'untouched');
		} else {
			expect(needsReentry === 0, `${needsReentry} values need re-entry after ${lane.operation}`);
		}

		// Readable values read back as written (decrypting is not enough: they must be the right values).
		if (readable > 0) {
			for (const index of [0, Math.floor(lane.dataSources / 2), lane.dataSources - 1]) {
				const values = await showDataSource(session, nameOf(index));
				expect(values.password === valuesOf(index).password && values.connectionString === valuesOf(index).connectionString, `${nameOf(index)} reads back wrong`);
			}
		}

		if (lane.operation === 'key-change') {
			if (status.rotation) outcome.push(status.rotation.done > 0 ? 'rotation pending mid-way' : 'rotation pending, no batch done');
			else outcome.push(status.primaryKey!.version === before.primary ? 'not started' : 'finished');
			if (phase === 'rerun') {
				expect(!status.rotation, 'a rotation is still pending after the rerun');
				expect(status.keyVersions.length === 1, `${status.keyVersions.length} live key versions after the rerun`);
			}
		}

		if (lane.operation === 'account-change') {
			const changed = status.identity?.fingerprint !== before.identity;
			outcome.push(`${changed ? 'new' : 'old'} identity${nextIdentityPending ? ' (next key was pending)' : ''}`);
		}
	});

	if (phase === 'rerun' || lane.operation !== 'account-change') {
		expect(!(await exists(identityPath(lane.instanceDirectory, 'next'))), 'identity.next.key is still there');
	}

	const leftovers = await temporaries(lane);
	if (phase === 'rerun') {
		expect(leftovers.length === 0, `temp files left after the rerun: ${leftovers.map(name => path.basename(name)).join(', ')}`);
	} else if (leftovers.length > 0) {
		// A SIGKILL between creating and renaming a temp file leaves it: hidden, named .tmp, never the target's name.
		for (const name of leftovers) expect(/^\..+\.tmp$/.test(path.basename(name)) && !name.endsWith('.snk'), `unexpected leftover ${name}`);
		outcome.push('temp file left');
	}

	if (file) {
		if (await exists(file)) {
			// A backup file that exists must be a complete, good one: the atomic writer links it only when it is whole.
			const result = await verifyBackup(undefined, {file, password: crashPassword});
			expect(result.keys.length >= 1, 'the backup file holds no key');
			outcome.push('backup complete');
		} else {
			expect(phase === 'killed', 'the rerun of the backup wrote no file');
			outcome.push('no backup file');
		}
	}

	return outcome.join(', ') || 'consistent';
}

async function snapshot(lane: Lane): Promise<{primary: number; identity: string}> {
	return withLaneSession(lane, async session => {
		const status = await getStatus(session);
		return {primary: status.primaryKey?.version ?? 0, identity: status.identity?.fingerprint ?? ''};
	});
}

/** Puts values back before a delete trial, so every delete has something to erase. */
async function prepare(lane: Lane): Promise<void> {
	if (lane.operation !== 'delete-content') return;
	// One bulk write (one transaction), not one per data source: this runs before every delete trial.
	await withLaneSession(lane, async session => fill(session, lane.dataSources));
}

async function runToEnd(lane: Lane, argv: string[], stdin: string | undefined): Promise<CliResult> {
	return collect(spawnCli(argv, {env: lane.env, ...(stdin === undefined ? {} : {stdin})}), 120_000);
}

async function cleanUp(file: string | undefined): Promise<void> {
	if (file) await rm(file, {force: true});
}

export async function runCrashMatrix(options: CrashMatrixOptions): Promise<CrashMatrixReport> {
	const started = Date.now();
	const log = options.log ?? (() => undefined);
	const random = randomGenerator(options.seed);
	const root = await mkdtemp(path.join(os.tmpdir(), 'rscm-crash-'));
	const failures: string[] = [];
	const perOperation = Object.fromEntries(
		crashOperations.map(operation => [operation, {kills: 0, finishedFirst: 0, passed: 0, failed: 0, outcomes: {}, durationMs: 0}]),
	) as Record<CrashOperation, OperationReport>;

	try {
		const lanes = new Map<CrashOperation, Lane>();
		for (const operation of crashOperations) {
			lanes.set(operation, await setUpLane(root, operation, operation === 'key-change' ? (options.keyChangeDataSources ?? 3000) : smallLaneDataSources));
		}

		// Calibration: how long the process takes to start, and each operation end to end on this machine now.
		const startupStart = Date.now();
		await collect(spawnCli(['--version']));
		const startupMs = Date.now() - startupStart;
		for (const lane of lanes.values()) {
			await prepare(lane);
			const {argv, stdin, file} = argvFor(lane, -1);
			const begin = Date.now();
			const result = await runToEnd(lane, argv, stdin);
			perOperation[lane.operation].durationMs = Date.now() - begin;
			if (result.code !== 0) throw new Error(`calibration run of ${lane.operation} failed (${result.code}): ${result.stderr}`);
			await cleanUp(file);
		}

		log(`crash matrix: seed ${options.seed}, ${options.kills} kills; start-up ${startupMs} ms; ${crashOperations.map(op => `${op} ${perOperation[op].durationMs} ms`).join(', ')}`);

		let kills = 0;
		let trial = 0;
		while (kills < options.kills && trial < options.kills * 4) {
			trial++;
			const operation = crashOperations[Math.floor(random() * crashOperations.length)]!;
			const lane = lanes.get(operation)!;
			const report = perOperation[operation];
			// Kill moments from just before the program is up to the end of an uninterrupted run.
			const low = startupMs * 0.8;
			const high = Math.max(report.durationMs * 1.05, low + 20);
			const killAfter = low + random() * (high - low);
			const {argv, stdin, file} = argvFor(lane, trial);
			await prepare(lane);
			// Only the key change and the identity change compare with the state before (it costs a session).
			const before = operation === 'key-change' || operation === 'account-change' ? await snapshot(lane) : {primary: 0, identity: ''};
			const child = spawnCli(argv, {env: lane.env, ...(stdin === undefined ? {} : {stdin})});
			const spawnedAt = Date.now();
			let exitedAt: number | undefined;
			child.once('exit', () => {
				exitedAt = Date.now();
			});
			const finished = collect(child, 120_000);
			await delay(killAfter);
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			const result = await finished;
			const killed = result.signal === 'SIGKILL';
			if (killed) {
				kills++;
				report.kills++;
			} else {
				report.finishedFirst++;
				// The machine is quicker than when the operation was timed (its load changed): later kill moments follow
				// the runs as they are now, or most of them would come after the end.
				if (exitedAt !== undefined) report.durationMs = (report.durationMs + (exitedAt - spawnedAt)) / 2;
			}

			try {
				if (!killed) expect(result.code === 0, `${operation} exited ${result.code} before the kill: ${result.stderr.trim()}`);
				const outcome = await check(lane, 'killed', file, before);
				report.outcomes[outcome] = (report.outcomes[outcome] ?? 0) + 1;
				// The same command again (a backup whose file was completed needs --force, as an admin would give it).
				const rerunArgv = file && (await exists(file)) ? [...argv, '--force'] : argv;
				const rerun = await runToEnd(lane, rerunArgv, stdin);
				expect(rerun.code === 0, `rerun of ${operation} exited ${rerun.code}: ${rerun.stderr.trim()}`);
				await check(lane, 'rerun', file, before);
				report.passed++;
			} catch (error) {
				if (!(error instanceof CheckFailure) && !(error instanceof Error)) throw error;
				report.failed++;
				const line = `trial ${trial} (${operation}, kill after ${Math.round(killAfter)} ms${killed ? '' : ', finished first'}): ${(error as Error).message}`;
				failures.push(line);
				log(`FAIL ${line}`);
			} finally {
				await cleanUp(file);
			}

			if (trial % 25 === 0) log(`  … ${kills} kills, ${failures.length} failures`);
		}
	} finally {
		await rm(root, {recursive: true, force: true});
	}

	const passed = Object.values(perOperation).reduce((sum, report) => sum + report.passed, 0);
	return {
		seed: options.seed,
		kills: Object.values(perOperation).reduce((sum, report) => sum + report.kills, 0),
		passed,
		failed: failures.length,
		failures,
		perOperation,
		elapsedMs: Date.now() - started,
	};
}

export function formatCrashReport(report: CrashMatrixReport): string {
	const lines = [`crash matrix (seed ${report.seed}): ${report.kills} SIGKILLs in ${(report.elapsedMs / 1000).toFixed(1)} s`];
	for (const operation of crashOperations) {
		const entry = report.perOperation[operation];
		const outcomes = Object.entries(entry.outcomes)
			.sort(([, a], [, b]) => b - a)
			.map(([label, count]) => `${count}× ${label}`)
			.join('; ');
		lines.push(`  ${operation.padEnd(15)} ${String(entry.kills).padStart(4)} kills, ${entry.finishedFirst} finished first, ${entry.passed} passed, ${entry.failed} failed  [${outcomes}]`);
	}

	for (const failure of report.failures) lines.push(`  FAIL ${failure}`);
	lines.push(`${report.passed} passed, ${report.failed} failed`);
	return lines.join('\n');
}
