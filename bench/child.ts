// The measured side of `npm run bench`: each measurement runs in a fresh process of its own, so its peak RSS and its
// event loop belong to that measurement alone and nothing of the bench driver (or an earlier run) is counted.
//
//   node --import tsx bench/child.ts MODE ARGS…     prints one JSON line on stdout
//
// bench/run.ts runs it bundled as rscm ships (see bundleChild there); under tsx it runs the same code for a quick look.
//
// Modes: load, rotate, floor, reader, backup, idle. See bench/run.ts for how they are combined.
import {createCipheriv, createDecipheriv, randomBytes, randomFillSync, scrypt} from 'node:crypto';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {monitorEventLoopDelay, performance, PerformanceObserver, type IntervalHistogram} from 'node:perf_hooks';
import process from 'node:process';
import {setTimeout as sleep} from 'node:timers/promises';
import type {SecretRow} from '../source/catalog/catalog.ts';
import {readAllSecrets} from '../source/core/data-sources.ts';
import {initialize} from '../source/core/initialize.ts';
import {kdfMeasure} from '../source/core/backup/kdf.ts';
import {backupKey, restoreKey} from '../source/core/key-backup.ts';
import {changeKey} from '../source/core/key-change.ts';
import {keyHolder, withKeyring} from '../source/core/keyring.ts';
import {openSession, type Session} from '../source/core/session.ts';
import {associatedData, encryptValue, envelopeVersion} from '../source/core/value-crypto.ts';

export const benchPassword = 'Bench!Backup#Pass-2024';

/** Data-source-like values: three fields per owner, the sizes a real connection string, user and password have. */
export function valueAt(index: number): {owner: string; field: string; text: string} {
	const source = Math.floor(index / 3);
	const owner = `DS-${String(source).padStart(7, '0')}`;
	switch (index % 3) {
		case 0:
			return {owner, field: 'connectionString', text: `Server=db${source % 7}.example.com;Database=Sales${source};Encrypt=true`};
		case 1:
			return {owner, field: 'username', text: `svc_reports_${source}`};
		default:
			return {owner, field: 'password', text: `p@ss-${source}-${(source * 7919) % 100_003}-Xy!`};
	}
}

async function open(catalog: string, instanceDirectory: string): Promise<Session> {
	return openSession({catalog, instanceDirectory, env: {}});
}

/** Peak resident set of this process in MiB: VmHWM where /proc exists, maxRSS otherwise. */
function peakRssMiB(): number {
	try {
		const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
		if (match) return Number(match[1]) / 1024;
	} catch {
		// Not Linux.
	}

	return process.resourceUsage().maxRSS / 1024;
}

/** CPU milliseconds of this process's main thread (Linux: its task's utime + stime), or undefined elsewhere. */
function mainThreadCpuMs(): number | undefined {
	try {
		const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
		// utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
		return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
	} catch {
		return undefined;
	}
}

function histogramMs(histogram: IntervalHistogram): {p50: number; p99: number; max: number} {
	return {p50: histogram.percentile(50) / 1e6, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6};
}

function print(result: unknown): void {
	process.stdout.write(JSON.stringify(result) + '\n');
}

/**
 * Creates the catalog with one joined instance and `count` values, loaded in large transactions (not measured).
 * With `waitingDirectory`, a second instance registers there and waits to join (the Add Server dialog's row).
 */
async function load(catalog: string, instanceDirectory: string, count: number, waitingDirectory?: string): Promise<void> {
	const session = await open(catalog, instanceDirectory);
	await initialize(session, {name: 'BENCH', machine: 'BENCHHOST'});
	const holder = await keyHolder(session);
	// A multiple of three: every data source's three values fall in one chunk, so each chunk inserts its owners.
	const chunk = 24_999;
	const now = new Date().toISOString();
	for (let start = 0; start < count; start += chunk) {
		const end = Math.min(count, start + chunk);
		await session.catalog.write(async tx =>
			withKeyring(tx, holder, async keyring => {
				const rows: SecretRow[] = [];
				const owners = new Set<string>();
				for (let index = start; index < end; index++) {
					const {owner, field, text} = valueAt(index);
					owners.add(owner);
					const location = {catalogId: keyring.catalogId, kind: 'datasource', owner, field};
					rows.push({
						id: index + 1,
						kind: 'datasource',
						owner,
						field,
						ciphertext: encryptValue(keyring.primary.key, keyring.primary.version, location, text),
						keyVersion: keyring.primary.version,
						needsReentry: false,
						updatedAt: now,
					});
				}

				await tx.insertSecrets(rows);
				await tx.insertDataSources([...owners].map(name => ({name, createdAt: now, updatedAt: now})));
			}),
		);
	}

	await session.close();
	if (waitingDirectory !== undefined) {
		const waiting = await open(catalog, waitingDirectory);
		await initialize(waiting, {name: 'WAITING', machine: 'NODE2'});
		await waiting.close();
	}

	print({loaded: count});
}

/** One complete key change, timed, with the process's peak RSS and event-loop delay while it ran. */
async function rotate(catalog: string, instanceDirectory: string): Promise<void> {
	const session = await open(catalog, instanceDirectory);
	const histogram = monitorEventLoopDelay({resolution: 1});
	const rssBefore = peakRssMiB();
	histogram.enable();
	const cpuBefore = process.cpuUsage();
	const mainBefore = mainThreadCpuMs();
	const started = performance.now();
	const result = await changeKey(session);
	const ms = performance.now() - started;
	const cpu = process.cpuUsage(cpuBefore);
	const mainCpuMs = mainBefore === undefined ? undefined : mainThreadCpuMs()! - mainBefore;
	histogram.disable();
	await session.close();
	print({ms, values: result.reencrypted, timing: result.timing, cpuMs: (cpu.user + cpu.system) / 1000, mainCpuMs, peakRssMiB: peakRssMiB(), rssBeforeMiB: rssBefore, eventLoopDelay: histogramMs(histogram)});
}

/**
 * The floor: decrypt and re-encrypt `count` values of the same sizes with AES-256-GCM in memory, with the same
 * associated-data length and pooled nonces, and nothing else (no database, no envelope parsing, no strings).
 */
function floor(count: number): void {
	const oldKey = randomBytes(32);
	const newKey = randomBytes(32);
	const catalogId = '00000000-0000-4000-8000-000000000000';
	const header = Buffer.from([envelopeVersion, 0, 0, 0, 1]);
	const envelopes: Buffer[] = [];
	const aads: Buffer[] = [];
	for (let index = 0; index < count; index++) {
		const {owner, field, text} = valueAt(index);
		const aad = associatedData({catalogId, kind: 'datasource', owner, field}, header);
		const nonce = randomBytes(12);
		const cipher = createCipheriv('aes-256-gcm', oldKey, nonce, {authTagLength: 16});
		cipher.setAAD(aad);
		envelopes.push(Buffer.concat([header, nonce, cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag()]));
		aads.push(aad);
	}

	let pool = Buffer.alloc(0);
	let offset = 0;
	const cpuBefore = process.cpuUsage();
	const started = performance.now();
	for (let index = 0; index < count; index++) {
		const envelope = envelopes[index]!;
		const aad = aads[index]!;
		const decipher = createDecipheriv('aes-256-gcm', oldKey, envelope.subarray(5, 17), {authTagLength: 16});
		decipher.setAAD(aad);
		decipher.setAuthTag(envelope.subarray(envelope.length - 16));
		const plain = Buffer.concat([decipher.update(envelope.subarray(17, envelope.length - 16)), decipher.final()]);
		if (offset + 12 > pool.length) {
			pool = randomFillSync(Buffer.allocUnsafe(4092));
			offset = 0;
		}

		const nonce = pool.subarray(offset, offset + 12);
		offset += 12;
		const cipher = createCipheriv('aes-256-gcm', newKey, nonce, {authTagLength: 16});
		cipher.setAAD(aad);
		envelopes[index] = Buffer.concat([header, nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
	}

	const ms = performance.now() - started;
	const cpu = process.cpuUsage(cpuBefore);
	print({ms, values: count, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMiB: peakRssMiB()});
}

/** A report server reading every value in a loop until stdin closes; counts reads and failures. */
async function reader(catalog: string, instanceDirectory: string, expected: number): Promise<void> {
	const session = await open(catalog, instanceDirectory);
	let stop = false;
	process.stdin.on('data', () => undefined);
	process.stdin.on('end', () => {
		stop = true;
	});
	process.stdin.resume();
	const summary = {reads: 0, valuesRead: 0, failures: 0, errors: [] as string[]};
	let announced = false;
	while (!stop) {
		try {
			const {readable} = await readAllSecrets(session);
			summary.reads++;
			summary.valuesRead += readable;
			if (readable !== expected) {
				summary.failures++;
				if (summary.errors.length < 5) summary.errors.push(`read ${readable} of ${expected} values`);
			}
		} catch (error) {
			summary.failures++;
			if (summary.errors.length < 5) summary.errors.push(`${(error as {code?: string}).code ?? ''} ${(error as Error).message}`);
		}

		if (!announced) {
			process.stderr.write('reading\n');
			announced = true;
		}
	}

	await session.close();
	print(summary);
}

async function kdf(): Promise<number> {
	const started = performance.now();
	await new Promise<Buffer>((resolve, reject) => {
		scrypt(Buffer.from(benchPassword), randomBytes(16), 32, {N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024}, (error, key) => {
			if (error) reject(error);
			else resolve(key);
		});
	});
	return performance.now() - started;
}

/**
 * Backup and restore, alternated with the bare KDF (the same scrypt parameters, alone), `runs` times each; the
 * event-loop delay is recorded only while backups run.
 */
async function backup(catalog: string, instanceDirectory: string, directory: string, runs: number): Promise<void> {
	const session = await open(catalog, instanceDirectory);
	const times = {kdf: [] as number[], backup: [] as number[], restore: [] as number[], backupKdf: [] as number[], restoreKdf: [] as number[]};
	const histogram = monitorEventLoopDelay({resolution: 1});
	// The KDF's time inside each operation (source/core/backup-file.ts measures it): "everything but the KDF" is the
	// operation minus its own KDF, which a load change between two separate runs cannot disturb.
	let kdfInside = 0;
	const observer = new PerformanceObserver(list => {
		for (const entry of list.getEntriesByName(kdfMeasure)) kdfInside += entry.duration;
	});
	observer.observe({entryTypes: ['measure']});
	const settle = async () => new Promise(resolve => setImmediate(resolve));
	// One untimed round first: code paths compiled, files cached.
	const warm = path.join(directory, 'warm.snk');
	await backupKey(session, {file: warm, password: benchPassword, overwrite: true});
	await restoreKey(session, {file: warm, password: benchPassword});
	for (let run = 0; run < runs; run++) {
		times.kdf.push(await kdf());
		const file = path.join(directory, `bench-${run}.snk`);
		histogram.enable();
		await settle();
		kdfInside = 0;
		let started = performance.now();
		await backupKey(session, {file, password: benchPassword});
		times.backup.push(performance.now() - started);
		histogram.disable();
		await settle();
		times.backupKdf.push(kdfInside);
		kdfInside = 0;
		started = performance.now();
		await restoreKey(session, {file, password: benchPassword});
		times.restore.push(performance.now() - started);
		await settle();
		times.restoreKdf.push(kdfInside);
	}

	observer.disconnect();
	await session.close();
	print({...times, eventLoopDelay: histogramMs(histogram)});
}

/** The event-loop delay of a process that does nothing: the noise floor of the delay measurements. */
async function idle(ms: number): Promise<void> {
	const histogram = monitorEventLoopDelay({resolution: 1});
	histogram.enable();
	await sleep(ms);
	histogram.disable();
	print({eventLoopDelay: histogramMs(histogram)});
}

const [mode, ...args] = process.argv.slice(2);
switch (mode) {
	case 'load':
		await load(args[0]!, args[1]!, Number(args[2]), args[3]);
		break;
	case 'rotate':
		await rotate(args[0]!, args[1]!);
		break;
	case 'floor':
		floor(Number(args[0]));
		break;
	case 'reader':
		await reader(args[0]!, args[1]!, Number(args[2]));
		break;
	case 'backup':
		await backup(args[0]!, args[1]!, args[2]!, Number(args[3]));
		break;
	case 'idle':
		await idle(Number(args[0]));
		break;
	default:
		process.stderr.write(`bench/child.ts: unknown mode ${String(mode)}\n`);
		process.exitCode = 2;
}
