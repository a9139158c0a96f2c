/**
 * The PostgreSQL fault matrix (issue 11): rscm's connections to a PostgreSQL catalog are dropped — its backends
 * terminated with pg_terminate_backend at random moments, and the server restarted once in the middle of a key
 * change — during the six operations that write key material or the keyring: key change, restore, instance add,
 * Delete Encrypted Content, catalog copy and account (service identity) change. After every fault:
 *
 * - the operation completed, or stopped with a stable code (CATALOG_UNAVAILABLE): never INTERNAL, never an error
 *   that is not an RscmError, never an unhandled 'error' event (the rscm side runs in a child process,
 *   postgres-faults-worker.ts, so such a crash ends that process and is counted as a failure here), never a hang
 *   (every operation is bounded by a generous timeout);
 * - running it again completes;
 * - every data source value reads back as written (or, after Delete Encrypted Content, every one is flagged for
 *   re-entry), compared one by one with the expected values: nothing is lost.
 *
 * Shared by `npm run stress -- --pg-faults N` (scripts/stress.ts, full size) and `npm test`
 * (test/reliability/postgres-faults.test.ts, a short run). Random but reproducible choices from one seeded generator
 * (the fault moments also depend on the machine's speed, calibrated first).
 *
 * The backends are found by application_name: each run gives its catalog URLs one of their own
 * (`?application_name=rscm_fault_…`, which rscm passes to the server as libpq does), so a run terminates no one
 * else's connections — other test files use the same server at the same time.
 *
 * The restart is of a private PostgreSQL cluster that this run creates (initdb in a temporary directory, its own
 * port) and removes: restarting the shared server would break the other PostgreSQL test files that ava runs at
 * the same time, and anyone else's work on it. When no private cluster can be made here (no initdb, no postgres
 * account to run it as), the restart is replaced by terminating every backend of the run, repeatedly, for as long
 * as a restart takes, and the report says so.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {readdirSync} from 'node:fs';
import {chown, mkdtemp, rm} from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {setTimeout as delay} from 'node:timers/promises';
import type pg from 'pg';
import {randomGenerator} from './crash-matrix.ts';
import type {WorkerReply, WorkerRequest} from './postgres-faults-worker.ts';
import {adminClient, dropSchema, postgresServer, uniqueSchema} from '../helpers/postgres-admin.ts';
import {root} from '../helpers/run-cli.ts';

export const faultOperations = ['key-change', 'restore', 'instance-add', 'delete-content', 'catalog-copy', 'account-change'] as const;
export type FaultOperation = (typeof faultOperations)[number];

export type PostgresFaultOptions = {
	/** Terminations that landed while an operation ran (ones after it finished are not counted). */
	faults: number;
	seed: number;
	/** Data sources (three values each) in the key change's catalog. */
	dataSources: number;
	/** Data sources in each of the other operations' catalogs. */
	smallDataSources: number;
	/** Values per key change batch: small enough that a key change has many batches to be interrupted in. */
	batchSize: number;
	/** Bound on each operation; exceeding it is a failure (a hang). */
	operationTimeoutMs?: number;
	log?: (line: string) => void;
};

export type FaultOperationReport = {
	trials: number;
	/** Trials in which a termination landed while the operation ran. */
	faults: number;
	completed: number;
	/** How the faulted runs that did not complete stopped, by code and what the message says of the transaction. */
	stopped: Record<string, number>;
	/** Reruns that met the first run's work done after all (its COMMIT went through): NOT_WAITING, CATALOG_EXISTS. */
	doneAfterAll: number;
	passed: number;
	failed: number;
	/** pg_stat_activity.state of the backends terminated: active, idle in transaction, idle. */
	backendStates: Record<string, number>;
	durationMs: number;
};

export type RestartReport = {
	/** 'restart': a real restart of a private cluster; 'terminate-all': the fallback (see `reason`). */
	mode: 'restart' | 'terminate-all';
	reason: string | undefined;
	outcome: string;
	passed: boolean;
};

export type PostgresFaultReport = {
	seed: number;
	faults: number;
	backendsTerminated: number;
	trials: number;
	passed: number;
	failed: number;
	failures: string[];
	perOperation: Record<FaultOperation, FaultOperationReport>;
	restart: RestartReport;
	elapsedMs: number;
};

const workerPath = path.join(root, 'test', 'reliability', 'postgres-faults-worker.ts');

class CheckFailure extends Error {}

function expect(condition: boolean, message: string): asserts condition {
	if (!condition) throw new CheckFailure(message);
}

type Failure = Extract<WorkerReply, {ok: false}>;
type Outcome = {ok: true; result: Record<string, unknown>} | Failure;

/** The worker crashed (exited while an operation ran) or hung (the operation outlived its timeout). */
class WorkerLost extends Error {}

/**
 * The child that runs rscm. Requests are answered in order; progress messages go to the request's listener. A
 * worker that exits or hangs rejects every pending request with WorkerLost and is replaced by a new one.
 */
class RscmWorker {
	readonly #child: ChildProcess;
	readonly #pending = new Map<number, {resolve: (reply: Outcome) => void; reject: (error: Error) => void; progress?: (done: number) => void}>();
	#next = 1;
	#stderr = '';
	#exit: string | undefined;
	readonly ready: Promise<void>;

	constructor() {
		const env = {...process.env};
		for (const name of Object.keys(env)) if (name.startsWith('RSCM_')) delete env[name];
		this.#child = spawn(process.execPath, ['--import', 'tsx', workerPath], {cwd: root, env, stdio: ['ignore', 'ignore', 'pipe', 'ipc']});
		this.#child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
			this.#stderr = (this.#stderr + chunk).slice(-4000);
		});
		this.ready = new Promise((resolve, reject) => {
			this.#child.once('message', () => resolve());
			this.#child.once('exit', () => reject(new WorkerLost(`the worker exited before it was ready: ${this.#stderr}`)));
		});
		this.#child.on('message', (message: WorkerReply) => {
			if (message.id === 0) return;
			const waiting = this.#pending.get(message.id);
			if (!waiting) return;
			if ('progress' in message) waiting.progress?.(message.progress.done);
			else {
				this.#pending.delete(message.id);
				waiting.resolve(message.ok ? {ok: true, result: (message.result ?? {}) as Record<string, unknown>} : message);
			}
		});
		this.#child.on('exit', (code, signal) => {
			this.#exit = `the rscm process exited (${signal ?? `code ${code}`}) during the operation: ${lastLines(this.#stderr)}`;
			for (const waiting of this.#pending.values()) waiting.reject(new WorkerLost(this.#exit));
			this.#pending.clear();
		});
	}

	get alive(): boolean {
		return this.#exit === undefined;
	}

	async request(op: string, session: string, args: Record<string, unknown>, options: {timeoutMs: number; progress?: (done: number) => void}): Promise<Outcome> {
		if (this.#exit) throw new WorkerLost(this.#exit);
		const id = this.#next++;
		const answer = new Promise<Outcome>((resolve, reject) => {
			this.#pending.set(id, {resolve, reject, progress: options.progress});
		});
		this.#child.send({id, op, session, args} satisfies WorkerRequest);
		let timer: NodeJS.Timeout | undefined;
		const timeout = new Promise<never>((_resolve, reject) => {
			timer = setTimeout(() => {
				this.#child.kill('SIGKILL');
				reject(new WorkerLost(`${op} did not finish within ${options.timeoutMs} ms (a hang): ${lastLines(this.#stderr)}`));
			}, options.timeoutMs);
		});
		try {
			return await Promise.race([answer, timeout]);
		} finally {
			clearTimeout(timer);
		}
	}

	/** Runs an operation that must succeed (setup, checks); anything else throws. */
	async must(op: string, session: string, args: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<Record<string, unknown>> {
		const outcome = await this.request(op, session, args, {timeoutMs});
		if (!outcome.ok) throw new CheckFailure(`${op} (${session}) failed: ${outcome.code} ${outcome.message}`);
		return outcome.result;
	}

	async stop(): Promise<void> {
		if (this.#exit) return;
		const exited = new Promise(resolve => this.#child.once('exit', resolve));
		this.#child.disconnect();
		const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
		await exited;
		clearTimeout(timer);
	}
}

/** What a crashed worker printed that says why: the unhandled error and its first line, else the last lines. */
function lastLines(text: string): string {
	const lines = text.trim().split('\n');
	const telling = lines.filter(line => /Unhandled|^\w*Error\b|^Emitted/.test(line.trim()));
	return (telling.length > 0 ? telling.slice(0, 4) : lines.slice(-8)).map(line => line.trim()).join(' | ');
}

/** The sessions the worker holds, to open them again in a new worker after one was lost. */
type SessionSpec = {catalog: string; instanceDirectory: string};

/**
 * One catalog (a schema of its own) per operation, as in the crash matrix: the key change's is large, so that a
 * rotation has many batches to be interrupted in; the others are small, so that Delete Encrypted Content's refill
 * and the copies stay quick. Its session in the worker is named after the operation.
 */
type Lane = {
	operation: FaultOperation;
	session: string;
	schema: string;
	catalog: string;
	instanceDirectory: string;
	dataSources: number;
	/** The backup in `backupFile` holds every live key version of this lane. */
	backupFresh: boolean;
	backupFile: string;
};

type Run = {
	options: Required<PostgresFaultOptions>;
	random: () => number;
	rootDirectory: string;
	application: string;
	lanes: Map<FaultOperation, Lane>;
	sessions: Map<string, SessionSpec>;
	worker: RscmWorker;
	/** Every schema this run made, dropped at the end. */
	schemas: Set<string>;
	counter: number;
};

function urlWith(base: string, schema: string, application: string): string {
	const url = new URL(base);
	url.searchParams.set('schema', schema);
	url.searchParams.set('application_name', application);
	return url.toString();
}

async function openIn(run: Run, name: string, spec: SessionSpec): Promise<void> {
	run.sessions.set(name, spec);
	await run.worker.must('open', name, {...spec});
}

async function closeIn(run: Run, name: string): Promise<void> {
	run.sessions.delete(name);
	if (run.worker.alive) await run.worker.must('close', name);
}

/** A new worker with every session of the old one opened again. */
async function replaceWorker(run: Run): Promise<void> {
	await run.worker.stop().catch(() => undefined);
	run.worker = new RscmWorker();
	await run.worker.ready;
	for (const [name, spec] of run.sessions) await run.worker.must('open', name, {...spec});
}

/**
 * pg_terminate_backend on the backends of this run — every one, or (`busy`) only those inside a statement or a
 * transaction; returns the states they were in.
 */
async function terminateBackends(admin: pg.Client, application: string, busy = false): Promise<string[]> {
	const result = await admin.query<{state: string | null}>(
		`SELECT state, pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
			WHERE application_name = $1 AND pid <> pg_backend_pid()
				AND (NOT $2 OR state IN ('active', 'idle in transaction', 'idle in transaction (aborted)'))`,
		[application, busy],
	);
	return result.rows.map(row => row.state ?? 'unknown');
}

async function connectAdmin(): Promise<pg.Client> {
	const admin = adminClient();
	// The admin connection is not the one under test, but must not crash the test if the server drops it either.
	admin.on('error', () => undefined);
	await admin.connect();
	return admin;
}

/**
 * The state after a trial, checked through rscm itself: the instance is joined, no key change is pending, exactly one
 * key version is live, and every value reads back as written — or, after Delete Encrypted Content, every value is
 * flagged for re-entry (`erased`; 'either': all one or all the other, never a mix).
 */
async function checkCatalog(run: Run, session: string, dataSources: number, erased: boolean | 'either'): Promise<'readable' | 'erased'> {
	const status = await run.worker.must('status', session);
	expect(status['status'] === 'joined', `${session} is ${String(status['status'])}: ${String(status['detail'] ?? '')}`);
	expect(status['rotation'] === undefined, `a key change is still pending: ${JSON.stringify(status['rotation'])}`);
	expect(status['liveVersions'] === 1, `${String(status['liveVersions'])} live key versions`);
	const values = await run.worker.must('check', session, {count: dataSources});
	const expected = dataSources * 3;
	const wrong = values['wrong'] as string[];
	expect(wrong.length === 0, wrong.join('; '));
	expect(values['rows'] === expected, `${String(values['rows'])} values stored, expected ${expected}`);
	const readable = values['readable'] as number;
	const reentry = values['needsReentry'] as number;
	if (erased === true) expect(reentry === expected, `${readable} values still readable after Delete Encrypted Content`);
	else if (erased === false) expect(readable === expected, `${readable} of ${expected} values read back (${reentry} need re-entry)`);
	else expect(readable === expected || reentry === expected, `a mix: ${readable} readable, ${reentry} flagged for re-entry`);
	return readable === expected ? 'readable' : 'erased';
}

/** What a faulted run may stop with, and what its error must say. */
function checkStop(outcome: Failure): void {
	expect(outcome.rscm, `not an RscmError: ${outcome.message}`);
	expect(outcome.code !== 'INTERNAL', `INTERNAL: ${outcome.message}`);
	expect(outcome.code === 'CATALOG_UNAVAILABLE', `stopped with ${outcome.code}: ${outcome.message}`);
	expect(/PostgreSQL/.test(outcome.message), `the message does not say what failed: ${outcome.message}`);
	expect(/again/i.test(outcome.hint ?? ''), `the hint does not say to run it again: ${outcome.hint ?? '(none)'}`);
}

type Prepared = {args: Record<string, unknown>; state: Record<string, unknown>};

/** Sets up what one trial needs (not faulted). */
async function prepare(run: Run, lane: Lane): Promise<Prepared> {
	const id = ++run.counter;
	switch (lane.operation) {
		case 'key-change':
			return {args: {batchSize: run.options.batchSize}, state: {}};
		case 'restore':
			if (!lane.backupFresh) {
				await run.worker.must('backup', lane.session, {file: lane.backupFile});
				lane.backupFresh = true;
			}

			return {args: {file: lane.backupFile}, state: {}};
		case 'instance-add': {
			// A new server registers (Waiting to Join); the lane's instance adds it after comparing its identity fingerprint.
			const name = `W${id}`;
			await openIn(run, name, {catalog: lane.catalog, instanceDirectory: path.join(run.rootDirectory, 'instances', name)});
			await run.worker.must('init', name, {name});
			const waiting = await run.worker.must('status', name);
			expect(waiting['status'] === 'waiting', `${name} is ${String(waiting['status'])}, not waiting`);
			return {args: {id: waiting['installationId'], fingerprint: waiting['identity']}, state: {name}};
		}

		case 'delete-content':
			return {args: {}, state: {}};
		case 'catalog-copy': {
			const schema = uniqueSchema('rscm_fault_copy');
			run.schemas.add(schema);
			return {args: {to: urlWith(postgresServer, schema, run.application), batchSize: 25}, state: {schema}};
		}

		case 'account-change': {
			const status = await run.worker.must('status', lane.session);
			return {args: {}, state: {identity: status['identity']}};
		}
	}
}

/** What a connection failure says became of the transaction (postgres.ts words it by where the drop hit). */
function stopKind(message: string): string {
	if (/not verified/.test(message)) return 'copy not verified';
	if (/may or may not have been saved/.test(message)) return 'while committing';
	if (/nothing of it was saved/.test(message)) return 'before the commit';
	if (/Cannot connect/.test(message)) return 'could not connect';
	return 'in a read';
}

/**
 * Runs the operation again after it stopped; what counts as "it completes" for each. Returns true when the rerun
 * found the first run's work done after all.
 */
async function rerun(run: Run, lane: Lane, prepared: Prepared): Promise<boolean> {
	const timeoutMs = run.options.operationTimeoutMs;
	const again = await run.worker.request(operationOp(lane.operation), lane.session, prepared.args, {timeoutMs});
	if (again.ok) return false;
	if (lane.operation === 'instance-add' && again.code === 'NOT_WAITING') {
		// The first run's COMMIT went through although its connection dropped: the instance was added.
		const added = await run.worker.must('status', prepared.state['name'] as string);
		expect(added['status'] === 'unconfirmed', `the rerun said NOT_WAITING, but the instance is ${String(added['status'])}`);
		return true;
	}

	if (lane.operation === 'catalog-copy' && again.code === 'CATALOG_EXISTS') {
		// The first run committed the copy in the target but did not verify it: as its hint says, drop it and copy again.
		await dropSchema(prepared.state['schema'] as string);
		const third = await run.worker.request('copy', lane.session, prepared.args, {timeoutMs});
		expect(third.ok, `the copy into the dropped target failed: ${third.ok ? '' : `${third.code} ${third.message}`}`);
		return true;
	}

	throw new CheckFailure(`the rerun failed: ${again.code} ${again.message}`);
}

function operationOp(operation: FaultOperation): string {
	return {
		'key-change': 'key-change',
		restore: 'restore',
		'instance-add': 'add',
		'delete-content': 'delete-content',
		'catalog-copy': 'copy',
		'account-change': 'account-change',
	}[operation];
}

/** The checks once the operation completed (first run or rerun), and the clean-up that readies the next trial. */
async function settle(run: Run, lane: Lane, prepared: Prepared): Promise<void> {
	const check = async (session: string, erased: boolean) => checkCatalog(run, session, lane.dataSources, erased);
	switch (lane.operation) {
		case 'key-change':
		case 'restore':
			await check(lane.session, false);
			return;
		case 'instance-add': {
			// The added server confirms the key it was given (comparing the primary fingerprint) and reads every value.
			const name = prepared.state['name'] as string;
			const primary = (await run.worker.must('status', lane.session))['primary'];
			await run.worker.must('accept', name, {fingerprint: primary});
			await check(name, false);
			await check(lane.session, false);
			await run.worker.must('remove', lane.session, {id: prepared.args['id']});
			await closeIn(run, name);
			return;
		}

		case 'delete-content':
			await check(lane.session, true);
			// Every value entered again for the next trial; the key is new, so a backup would be stale.
			await run.worker.must('load', lane.session, {count: lane.dataSources});
			lane.backupFresh = false;
			await check(lane.session, false);
			return;
		case 'catalog-copy': {
			// The copy opens with the source's instance directory, as that server would after moving to it.
			const schema = prepared.state['schema'] as string;
			const name = `copy@${schema}`;
			await openIn(run, name, {catalog: prepared.args['to'] as string, instanceDirectory: lane.instanceDirectory});
			await check(name, false);
			await closeIn(run, name);
			await dropSchema(schema);
			run.schemas.delete(schema);
			await check(lane.session, false);
			return;
		}

		case 'account-change': {
			const status = await run.worker.must('status', lane.session);
			expect(status['identity'] !== prepared.state['identity'], 'the identity did not change');
			await check(lane.session, false);
		}
	}
}

/** After a trial that failed: put the lane back in order for the next trials (a new worker if the old one was lost). */
async function recover(run: Run, lane: Lane, prepared: Prepared | undefined): Promise<void> {
	if (!run.worker.alive) await replaceWorker(run);
	const ask = async (op: string, session: string, args: Record<string, unknown> = {}) => run.worker.request(op, session, args, {timeoutMs: 120_000});
	const name = prepared?.state['name'] as string | undefined;
	if (name) {
		await ask('remove', lane.session, {id: prepared!.args['id']});
		await closeIn(run, name).catch(() => undefined);
	}

	const schema = prepared?.state['schema'] as string | undefined;
	if (schema) {
		await closeIn(run, `copy@${schema}`).catch(() => undefined);
		await dropSchema(schema).catch(() => undefined);
		run.schemas.delete(schema);
	}

	// Finish what the failed trial left: a pending key change, values erased by a delete.
	const status = await ask('status', lane.session);
	if (status.ok && status.result['rotation']) await ask('key-change', lane.session);
	const values = await ask('check', lane.session, {count: lane.dataSources});
	if (!values.ok || values.result['readable'] !== lane.dataSources * 3) {
		await ask('load', lane.session, {count: lane.dataSources});
		lane.backupFresh = false;
	}
}

function emptyOperationReport(): FaultOperationReport {
	return {trials: 0, faults: 0, completed: 0, stopped: {}, doneAfterAll: 0, passed: 0, failed: 0, backendStates: {}, durationMs: 0};
}

/** A random order of every operation, again and again: each gets its share of the faults whatever the seed. */
function* schedule(random: () => number): Generator<FaultOperation> {
	for (;;) {
		const round = [...faultOperations];
		for (let index = round.length - 1; index > 0; index--) {
			const other = Math.floor(random() * (index + 1));
			[round[index], round[other]] = [round[other]!, round[index]!];
		}

		yield* round;
	}
}

/**
 * One faulted run: the operation is started, and after a random moment within its calibrated duration rscm's
 * backends are terminated — in half the trials every one of them at that moment (idle pooled connections included:
 * what a restart or a pooler does), in the other half the first that is inside a statement or a transaction from
 * that moment on (what an administrator's pg_terminate_backend, or idle_in_transaction_session_timeout, does).
 * Returns whether a termination landed while the operation ran.
 */
async function injectFault(
	run: Run,
	admin: pg.Client,
	report: FaultOperationReport,
	running: () => boolean,
): Promise<{landed: boolean; terminated: boolean; description: string}> {
	const busyOnly = run.random() < 0.5;
	const faultAfter = run.random() * report.durationMs * (busyOnly ? 0.9 : 1.1);
	const description = `${busyOnly ? 'first busy backend' : 'all backends'} after ${Math.round(faultAfter)} ms`;
	await delay(faultAfter);
	let states: string[] = [];
	while (running()) {
		states = await terminateBackends(admin, run.application, busyOnly);
		if (!busyOnly || states.length > 0) break;
		await delay(2);
	}

	for (const state of states) report.backendStates[state] = (report.backendStates[state] ?? 0) + 1;
	return {landed: states.length > 0 && running(), terminated: states.length > 0, description};
}

export async function runPostgresFaults(options: PostgresFaultOptions): Promise<PostgresFaultReport> {
	const started = Date.now();
	const settings: Required<PostgresFaultOptions> = {operationTimeoutMs: 60_000, log: () => undefined, ...options};
	const {log} = settings;
	const debug = (what: string) => {
		if (process.env['PG_FAULT_DEBUG']) log(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
	};

	const rootDirectory = await mkdtemp(path.join(os.tmpdir(), 'rscm-pgfault-'));
	const application = `rscm_fault_${uniqueSchema('x').slice(2)}`;
	const run: Run = {
		options: settings,
		random: randomGenerator(settings.seed),
		rootDirectory,
		application,
		lanes: new Map(),
		sessions: new Map(),
		worker: new RscmWorker(),
		schemas: new Set(),
		counter: 0,
	};
	const failures: string[] = [];
	const perOperation = Object.fromEntries(faultOperations.map(operation => [operation, emptyOperationReport()])) as Record<FaultOperation, FaultOperationReport>;
	let restart: RestartReport = {mode: 'terminate-all', reason: 'not run', outcome: 'not run', passed: false};
	let backendsTerminated = 0;
	let trials = 0;
	const admin = await connectAdmin();
	try {
		await run.worker.ready;
		for (const operation of faultOperations) {
			const schema = uniqueSchema('rscm_fault');
			run.schemas.add(schema);
			const lane: Lane = {
				operation,
				session: operation,
				schema,
				catalog: urlWith(postgresServer, schema, application),
				instanceDirectory: path.join(rootDirectory, 'instances', operation),
				dataSources: operation === 'key-change' ? settings.dataSources : settings.smallDataSources,
				backupFresh: false,
				backupFile: path.join(rootDirectory, `${operation}.snk`),
			};
			run.lanes.set(operation, lane);
			await openIn(run, lane.session, {catalog: lane.catalog, instanceDirectory: lane.instanceDirectory});
			await run.worker.must('init', lane.session, {name: 'SSRS'});
			await run.worker.must('load', lane.session, {count: lane.dataSources});
			debug(`lane ${operation} ready`);
		}

		// Calibration: each operation undisturbed, end to end (it must pass its checks too); twice when that is cheap, as
		// the first run of each pays for loading code. The trials without a fault refine it (the shortest run counts).
		for (const lane of run.lanes.values()) {
			const report = perOperation[lane.operation];
			report.durationMs = Number.POSITIVE_INFINITY;
			for (let round = 0; round < 2 && (round === 0 || report.durationMs < 500); round++) {
				const prepared = await prepare(run, lane);
				const begin = Date.now();
				const outcome = await run.worker.request(operationOp(lane.operation), lane.session, prepared.args, {timeoutMs: settings.operationTimeoutMs});
				report.durationMs = Math.min(report.durationMs, Date.now() - begin);
				if (!outcome.ok) throw new CheckFailure(`calibration run of ${lane.operation} failed: ${outcome.code} ${outcome.message}`);
				await settle(run, lane, prepared);
			}

			debug(`calibrated ${lane.operation}`);
		}

		log(
			`postgres faults: seed ${settings.seed}, ${settings.faults} faults; key change of ${settings.dataSources * 3} values in batches of ${settings.batchSize}, ` +
				`${settings.smallDataSources * 3} values in the other catalogs; ` +
				faultOperations.map(operation => `${operation} ${perOperation[operation].durationMs} ms`).join(', '),
		);

		let faults = 0;
		const order = schedule(run.random);
		while (faults < settings.faults && trials < settings.faults * 4) {
			trials++;
			const operation = order.next().value as FaultOperation;
			const lane = run.lanes.get(operation)!;
			const report = perOperation[operation];
			report.trials++;
			let prepared: Prepared | undefined;
			let fault = {landed: false, terminated: false, description: 'not injected'};
			try {
				prepared = await prepare(run, lane);
				let finished = false;
				const begin = Date.now();
				let duration = 0;
				const first = run.worker.request(operationOp(operation), lane.session, prepared.args, {timeoutMs: settings.operationTimeoutMs});
				void first
					.finally(() => {
						finished = true;
						duration = Date.now() - begin;
					})
					.catch(() => undefined);
				fault = await injectFault(run, admin, report, () => !finished);
				const outcome = await first;
				// Landed: the operation was still running after the termination, or it failed (it ended because of it).
				fault.landed ||= fault.terminated && !outcome.ok;
				if (fault.landed) {
					faults++;
					report.faults++;
				}

				if (!fault.landed && outcome.ok) report.durationMs = Math.min(report.durationMs, duration);
				if (outcome.ok) report.completed++;
				else {
					const kind = `${outcome.code} (${stopKind(outcome.message)})`;
					report.stopped[kind] = (report.stopped[kind] ?? 0) + 1;
					checkStop(outcome);
					if (await rerun(run, lane, prepared)) report.doneAfterAll++;
				}

				await settle(run, lane, prepared);
				report.passed++;
			} catch (error) {
				if (!(error instanceof Error)) throw error;
				report.failed++;
				const line = `trial ${trials} (${operation}, ${fault.description}${fault.landed ? '' : ', none landed'}): ${error.message}`;
				failures.push(line);
				log(`FAIL ${line}`);
				try {
					await recover(run, lane, prepared);
				} catch (recoveryError) {
					failures.push(`could not recover after trial ${trials}: ${(recoveryError as Error).message}`);
					break;
				}
			}

			debug(`trial ${trials} ${operation} (${fault.description}${fault.landed ? '' : ', none landed'})`);
			if (trials % 25 === 0) log(`  … ${faults} faults in ${trials} trials, ${failures.length} failures`);
		}

		backendsTerminated = Object.values(perOperation).reduce((total, report) => total + Object.values(report.backendStates).reduce((a, b) => a + b, 0), 0);
		restart = await restartDuringKeyChange(run, admin);
		log(`restart (${restart.mode}${restart.reason ? `: ${restart.reason}` : ''}): ${restart.outcome}`);
		if (!restart.passed) failures.push(`restart during a key change: ${restart.outcome}`);
	} finally {
		await run.worker.stop().catch(() => undefined);
		for (const schema of run.schemas) {
			await dropSchema(schema).catch((error: unknown) => {
				log(`could not drop schema ${schema}: ${(error as Error).message}`);
			});
		}

		await admin.end().catch(() => undefined);
		await rm(rootDirectory, {recursive: true, force: true});
	}

	const sum = (pick: (report: FaultOperationReport) => number) => Object.values(perOperation).reduce((total, report) => total + pick(report), 0);
	return {
		seed: settings.seed,
		faults: sum(report => report.faults),
		backendsTerminated,
		trials,
		passed: sum(report => report.passed) + (restart.passed ? 1 : 0),
		failed: failures.length,
		failures,
		perOperation,
		restart,
		elapsedMs: Date.now() - started,
	};
}

/* The restart --------------------------------------------------------------------------------------------------- */

type PrivateCluster = {
	url: string;
	restart(): Promise<void>;
	stop(): Promise<void>;
};

function findPostgresBinaries(): string | undefined {
	const candidates: string[] = [];
	if (process.env['PG_BINDIR']) candidates.push(process.env['PG_BINDIR']);
	const pgConfig = spawnSync('pg_config', ['--bindir'], {encoding: 'utf8'});
	if (pgConfig.status === 0) candidates.push(pgConfig.stdout.trim());
	try {
		const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
		for (const version of versions) candidates.push(`/usr/lib/postgresql/${version}/bin`);
	} catch {
		// Not the Debian layout.
	}

	return candidates.find(directory => spawnSync(path.join(directory, 'initdb'), ['--version']).status === 0);
}

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const {port} = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

/**
 * A throwaway PostgreSQL cluster of this run's own (initdb, trust authentication, fsync off, its own port and
 * socket directory), run as the postgres account when this is root (initdb refuses root). Throws, with the reason,
 * when that is not possible here.
 */
async function startPrivateCluster(): Promise<PrivateCluster> {
	// To try the fallback where a private cluster is possible.
	if (process.env['PG_FAULT_NO_CLUSTER']) throw new Error('PG_FAULT_NO_CLUSTER is set');
	const bin = findPostgresBinaries();
	if (!bin) throw new Error('no initdb found (PG_BINDIR, pg_config --bindir, /usr/lib/postgresql/*/bin)');
	const asRoot = process.getuid?.() === 0;
	let uid: number | undefined;
	let gid: number | undefined;
	if (asRoot) {
		const id = spawnSync('id', ['-u', 'postgres'], {encoding: 'utf8'});
		const group = spawnSync('id', ['-g', 'postgres'], {encoding: 'utf8'});
		if (id.status !== 0) throw new Error('running as root and there is no postgres account to run a private cluster as');
		uid = Number(id.stdout.trim());
		gid = Number(group.stdout.trim());
	}

	const directory = await mkdtemp(path.join(os.tmpdir(), 'rscm-pgcluster-'));
	if (uid !== undefined) await chown(directory, uid, gid!);
	const data = path.join(directory, 'data');
	const port = await freePort();
	const command = (program: string, args: string[]) => {
		const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, program), ...args]] : [path.join(bin, program), args];
		const result = spawnSync(file, argv, {encoding: 'utf8', timeout: 60_000});
		if (result.status !== 0) throw new Error(`${program} ${args.join(' ')} failed: ${(result.stderr || result.stdout || String(result.error)).trim()}`);
	};

	const serverOptions = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
	const ctl = (action: string, extra: string[] = []) => command('pg_ctl', ['-D', data, '-o', serverOptions, '-l', path.join(directory, 'server.log'), '-w', '-t', '30', ...extra, action]);
	try {
		command('initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
		ctl('start');
	} catch (error) {
		await rm(directory, {recursive: true, force: true});
		throw error;
	}

	return {
		url: `postgres://postgres@127.0.0.1:${port}/postgres`,
		async restart() {
			ctl('restart', ['-m', 'fast']);
		},
		async stop() {
			try {
				ctl('stop', ['-m', 'immediate']);
			} finally {
				await rm(directory, {recursive: true, force: true});
			}
		},
	};
}

/**
 * Restarts PostgreSQL once while a key change runs (after its first batch committed): every connection drops, and
 * new ones are refused until the server is back. What is left of the key change then is batches and the
 * retirement, which it retries on its own: it must finish without a rerun (a stop is a failure, reported with what
 * its rerun did). Then every value is checked.
 */
async function restartDuringKeyChange(run: Run, admin: pg.Client): Promise<RestartReport> {
	let cluster: PrivateCluster | undefined;
	let reason: string | undefined;
	try {
		cluster = await startPrivateCluster();
	} catch (error) {
		reason = `a private PostgreSQL cluster cannot be started here (${(error as Error).message}); every backend of the run is terminated repeatedly for 2 s instead`;
	}

	const mode = cluster ? 'restart' : 'terminate-all';
	const schema = cluster ? 'rscm_restart' : uniqueSchema('rscm_fault_restart');
	if (!cluster) run.schemas.add(schema);
	const catalog = urlWith(cluster?.url ?? postgresServer, schema, run.application);
	const name = 'R';
	// As large as the key change's catalog, up to 15,000 values: enough batches to restart in the middle of.
	const dataSources = Math.min(run.options.dataSources, 5000);
	try {
		await openIn(run, name, {catalog, instanceDirectory: path.join(run.rootDirectory, 'instances', name)});
		await run.worker.must('init', name, {name: 'SSRS'});
		await run.worker.must('load', name, {count: dataSources});
		let fault: Promise<string> | undefined;
		const outcome = await run.worker.request(
			'key-change',
			name,
			{batchSize: run.options.batchSize},
			{
				timeoutMs: run.options.operationTimeoutMs,
				progress(done) {
					if (done === 0 || fault) return;
					const begin = Date.now();
					fault = cluster
						? cluster.restart().then(() => `PostgreSQL restarted (pg_ctl restart -m fast, ${Date.now() - begin} ms) after ${done} values`)
						: terminateFor(admin, run.application, 2000);
				},
			},
		);
		const what = fault ? await fault : 'the key change finished before its first batch was reported';
		expect(fault !== undefined, what);
		// After its first batch, what is left of a key change is batches and the retirement, which it retries on its own
		// across an outage this short: it must finish without a rerun.
		if (!outcome.ok) {
			checkStop(outcome);
			const again = await run.worker.request('key-change', name, {batchSize: run.options.batchSize}, {timeoutMs: run.options.operationTimeoutMs});
			const rerunOutcome = again.ok ? 'its rerun finished it' : `its rerun failed too: ${again.code} ${again.message}`;
			throw new CheckFailure(`${what}; the key change stopped with ${outcome.code} (${outcome.message}) instead of retrying; ${rerunOutcome}`);
		}

		await checkCatalog(run, name, dataSources, false);
		const result = `${what}; the key change finished on its own (${String(outcome.result['reencrypted'])} values re-encrypted)`;
		return {mode, reason, outcome: `${result}; all ${dataSources * 3} values read back`, passed: true};
	} catch (error) {
		if (!run.worker.alive) await replaceWorker(run).catch(() => undefined);
		return {mode, reason, outcome: `FAILED: ${(error as Error).message}`, passed: false};
	} finally {
		await closeIn(run, name).catch(() => undefined);
		await cluster?.stop().catch(() => undefined);
	}
}

/** Terminates every backend of the run as soon as it appears, for `milliseconds`: a restart's outage, simulated. */
async function terminateFor(admin: pg.Client, application: string, milliseconds: number): Promise<string> {
	const until = Date.now() + milliseconds;
	let terminated = 0;
	while (Date.now() < until) {
		terminated += (await terminateBackends(admin, application)).length;
		await delay(20);
	}

	return `${terminated} backends terminated over ${milliseconds} ms`;
}

export function formatPostgresFaultReport(report: PostgresFaultReport): string {
	const lines = [
		`postgres faults (seed ${report.seed}): ${report.faults} faults landed in ${report.trials} trials (${report.backendsTerminated} backends terminated) in ${(report.elapsedMs / 1000).toFixed(1)} s`,
	];
	for (const operation of faultOperations) {
		const entry = report.perOperation[operation];
		const stopped = Object.entries(entry.stopped).map(([code, count]) => `${count}× ${code}`).join(', ') || 'none';
		const states = Object.entries(entry.backendStates).map(([state, count]) => `${count}× ${state}`).join(', ');
		const after = entry.doneAfterAll > 0 ? `, ${entry.doneAfterAll} found done by the rerun` : '';
		lines.push(`  ${operation.padEnd(15)} ${String(entry.faults).padStart(4)} faults in ${entry.trials} trials: ${entry.completed} completed, stopped ${stopped}${after}; ${entry.passed} passed, ${entry.failed} failed  [backends terminated: ${states}]`);
	}

	lines.push(`  restart        ${report.restart.mode}${report.restart.reason ? ` (${report.restart.reason})` : ''}: ${report.restart.outcome}`);
	for (const failure of report.failures) lines.push(`  FAIL ${failure}`);
	lines.push(`${report.passed} passed, ${report.failed} failed`);
	return lines.join('\n');
}
