import {rm, readFile, stat} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import Database from 'better-sqlite3';
import {RscmError} from '../../source/errors.ts';
import {
	checkHealth,
	checkThresholds,
	formatAge,
	formatPluginLine,
	formatPrometheus,
	parseDuration,
	unknownReport,
	writeMetricsFile,
	type HealthReport,
} from '../../source/core/health-check.ts';
import {initialize} from '../../source/core/initialize.ts';
import {addInstance} from '../../source/core/instances.ts';
import {backupKey} from '../../source/core/key-backup.ts';
import {changeKey} from '../../source/core/key-change.ts';
import {getStatus} from '../../source/core/status.ts';
import {identityPath} from '../../source/instance/identity-file.ts';
import {confirmKey, joinedInstance, loadDataSources, rejectsWithCode, strongPassword, tempDirectory, temporaryFiles} from '../helpers/catalog-fixtures.ts';

const hour = 3600;
const day = 86_400;

/** The time of the last backup of the primary key, as recorded: the fake clock is set relative to it. */
async function backedUpAt(session: Parameters<typeof getStatus>[0]): Promise<Date> {
	const at = (await getStatus(session)).primaryKey?.backedUpAt;
	if (at === undefined) throw new Error('fixture: no backup recorded');
	return new Date(at);
}

function later(from: Date, seconds: number): Date {
	return new Date(from.getTime() + seconds * 1000);
}

test('a key never backed up is CRITICAL; once backed up the age decides, against a fake clock', async t => {
	const {deployment, session} = await joinedInstance(t);
	const thresholds = checkThresholds('2d', '8d');
	const never = await checkHealth(session, {now: new Date(), thresholds});
	t.is(never.state, 'CRITICAL');
	t.is(never.exitCode, 2);
	t.deepEqual(
		never.findings.map(finding => finding.kind),
		['backup-missing'],
	);
	t.regex(formatPluginLine(never), /^RSCM CRITICAL - the current key \(version 1\) was never backed up \| backup_age=U;172800;691200;0 key_version=1 /);

	await backupKey(session, {file: path.join(deployment.root, 'k.snk'), password: strongPassword});
	const at = await backedUpAt(session);

	const fresh = await checkHealth(session, {now: later(at, hour), thresholds});
	t.is(fresh.state, 'OK');
	t.is(fresh.exitCode, 0);
	t.deepEqual(fresh.findings, []);
	t.is(fresh.primaryKey?.backupAge, hour);
	t.regex(formatPluginLine(fresh), /^RSCM OK - key version 1 backed up .* \(1 hour ago\); 1 instance\(s\) joined \| backup_age=3600s;172800;691200;0 key_version=1 instances_joined=1;;;0 instances_waiting=0;;;0 instances_key_unavailable=0;;;0 key_change_pending=0;;;0;1$/);

	const old = await checkHealth(session, {now: later(at, 3 * day), thresholds});
	t.is(old.state, 'WARNING');
	t.is(old.exitCode, 1);
	t.is(old.findings[0]?.kind, 'backup-age');
	t.regex(old.summary, /the last backup of key version 1 is 3 days old \(limit 2 days\)/);

	const ancient = await checkHealth(session, {now: later(at, 9 * day), thresholds});
	t.is(ancient.state, 'CRITICAL');
	t.regex(ancient.summary, /is 9 days old \(limit 8 days\)/);

	// Without thresholds the age is measured (performance data) but judges nothing.
	const unlimited = await checkHealth(session, {now: later(at, 400 * day)});
	t.is(unlimited.state, 'OK');
	t.regex(formatPluginLine(unlimited), /backup_age=34560000s;;;0/);
});

test('a backup older than the last key change is CRITICAL, and so is a stalled key change; a running one warns', async t => {
	const {deployment, session, init} = await joinedInstance(t);
	await backupKey(session, {file: path.join(deployment.root, 'v1.snk'), password: strongPassword});
	await loadDataSources(session, 50);
	// Stopped after its first batch: pending, and its lease given back, so nothing moves it on.
	const controller = new AbortController();
	await rejectsWithCode(t, changeKey(session, {batchSize: 10, signal: controller.signal, onProgress: ({done}) => done > 0 && controller.abort()}), 'CANCELLED');

	const now = new Date();
	const stalled = await checkHealth(session, {now});
	t.is(stalled.state, 'CRITICAL');
	t.deepEqual(stalled.findings.map(finding => finding.kind).sort(), ['backup-outdated', 'key-change-stalled']);
	t.like(stalled.keyChange, {fromVersion: 1, toVersion: 2, done: 10, total: 150, stalled: true});
	t.regex(stalled.summary, /the last backup \(.*\) holds key version 1, older than the last key change to version 2/);
	t.regex(stalled.summary, /the key change from version 1 to 2 stalled at 10 of 150 values re-encrypted: run `rscm key change` to resume it/);
	t.regex(formatPluginLine(stalled), /key_change_pending=1;;;0;1 key_change_done=10;;;0;150$/);

	// A lease that runs until a minute from "now": a live key change is a warning until the lease expires.
	const leaseExpiresAt = later(now, 60);
	await session.catalog.write(async tx =>
		tx.putRotation({...(await tx.getRotation())!, leaseOwner: `${init.installationId}@${os.hostname()}:${process.pid}:0a1b2c3d`, leaseExpiresAt: leaseExpiresAt.toISOString()}),
	);
	const running = await checkHealth(session, {now});
	t.deepEqual(running.findings.map(finding => [finding.kind, finding.state]).sort(), [
		['backup-outdated', 'CRITICAL'],
		['key-change-pending', 'WARNING'],
	]);
	t.false(running.keyChange?.stalled);
	const expired = await checkHealth(session, {now: later(leaseExpiresAt, 1)});
	t.true(expired.keyChange?.stalled);
	t.true(expired.findings.some(finding => finding.kind === 'key-change-stalled'));

	// Finished and backed up again: nothing left to report.
	await session.catalog.write(async tx => tx.putRotation({...(await tx.getRotation())!, leaseOwner: undefined, leaseExpiresAt: undefined}));
	await changeKey(session);
	await backupKey(session, {file: path.join(deployment.root, 'v2.snk'), password: strongPassword});
	const done = await checkHealth(session, {now: later(await backedUpAt(session), 60)});
	t.is(done.state, 'OK', done.summary);
	t.is(done.primaryKey?.version, 2);
	t.is(done.keyChange, undefined);
});

test('instances Waiting to Join warn; a joined instance without the key, or this one, is CRITICAL', async t => {
	const {deployment, session} = await joinedInstance(t);
	await backupKey(session, {file: path.join(deployment.root, 'k.snk'), password: strongPassword});
	const now = later(await backedUpAt(session), 60);
	const b = await deployment.open('b');
	const bInit = await initialize(b, {name: 'B', machine: 'OTHERHOST'});

	const waiting = await checkHealth(session, {now});
	t.is(waiting.state, 'WARNING');
	t.is(waiting.summary, '1 instance(s) Waiting to Join: OTHERHOST\\B');
	t.like(waiting.instances, {total: 2, joined: 1, waiting: 1, keyUnavailable: 0});
	// The waiting server's own check says the same of itself.
	t.is((await checkHealth(b, {now})).summary, '1 instance(s) Waiting to Join: OTHERHOST\\B');

	await addInstance(session, bInit.installationId, bInit.identityFingerprint);
	await confirmKey(b, session);
	t.is((await checkHealth(session, {now})).state, 'OK');

	// Its copy of the key gone from the catalog: b is joined but cannot open the key, which a's check sees.
	await session.catalog.write(async tx => tx.deleteWrappedKeys({installationId: bInit.installationId}));
	const withoutKey = await checkHealth(session, {now});
	t.is(withoutKey.state, 'CRITICAL');
	t.is(withoutKey.summary, '1 instance(s) Key unavailable: OTHERHOST\\B');
	t.is(withoutKey.instances.keyUnavailable, 1);

	// This instance's own identity lost: it finds out by opening its copy.
	await rm(identityPath(session.instanceDirectory, 'current'));
	const self = await checkHealth(session, {now});
	t.is(self.instance?.keyStatus, 'key-unavailable');
	t.is(self.instances.keyUnavailable, 2);
	t.regex(self.summary, /^2 instance\(s\) Key unavailable: TESTHOST\\A, OTHERHOST\\B$/);
});

test('a keyring that does not verify is CRITICAL and shows no key to trust', async t => {
	const {deployment, session} = await joinedInstance(t);
	await backupKey(session, {file: path.join(deployment.root, 'k.snk'), password: strongPassword});
	const database = new Database(deployment.catalogPath);
	database.prepare('DELETE FROM keyring_seal').run();
	database.close();
	const report = await checkHealth(session, {now: new Date()});
	t.is(report.state, 'CRITICAL');
	t.is(report.instance?.keyStatus, 'tampered');
	t.deepEqual(report.findings.map(finding => finding.kind), ['keyring']);
	t.regex(report.summary, /the keyring in the catalog does not verify \(KEYRING_TAMPERED\)/);
	t.is(report.primaryKey, undefined);
	t.regex(formatPrometheus(report), /^rscm_key_status\{status="tampered"\} 1$/m);
});

test('UNKNOWN when the check cannot look: no catalog, or this instance not initialized', async t => {
	const {deployment} = await joinedInstance(t);
	const now = new Date('2026-03-14T09:26:53Z');
	const fresh = await deployment.open('fresh');
	const notInitialized = await checkHealth(fresh, {now});
	t.is(notInitialized.state, 'UNKNOWN');
	t.is(notInitialized.exitCode, 3);
	t.like(notInitialized.error, {code: 'NOT_INITIALIZED'});

	const report = unknownReport(new RscmError('CATALOG_UNAVAILABLE', 'Cannot reach db01:5432.'), now);
	t.is(report.exitCode, 3);
	// No performance data: zeros would read as measurements.
	t.is(formatPluginLine(report), 'RSCM UNKNOWN - cannot check: Cannot reach db01:5432. [CATALOG_UNAVAILABLE]');
	const metrics = formatPrometheus(report);
	t.regex(metrics, /^rscm_check_status 3$/m);
	t.regex(metrics, /^rscm_catalog_up 0$/m);
	t.regex(metrics, /^rscm_check_timestamp_seconds 1773480413$/m);
	t.notRegex(metrics, /rscm_instances/);
	// A bug is UNKNOWN too, never OK.
	t.is(unknownReport(new Error('boom'), now).state, 'UNKNOWN');
});

/** Every sample line of a text-format exposition, checked against its HELP and TYPE lines. */
function parseExposition(t: ExecutionContext, text: string): Map<string, number> {
	const samples = new Map<string, number>();
	const described = new Set<string>();
	const typed = new Set<string>();
	t.true(text.endsWith('\n'));
	for (const line of text.trimEnd().split('\n')) {
		const help = /^# HELP (\w+) \S.*$/.exec(line);
		const type = /^# TYPE (\w+) gauge$/.exec(line);
		if (help) described.add(help[1]!);
		else if (type) typed.add(type[1]!);
		else {
			const sample = /^(rscm_\w+)(\{(?:\w+="(?:[^"\\]|\\.)*",?)+\})? (-?\d+(?:\.\d+)?)$/.exec(line);
			t.truthy(sample, `not a sample line: ${line}`);
			t.true(described.has(sample![1]!) && typed.has(sample![1]!), `${sample![1]} lacks HELP or TYPE`);
			samples.set(sample![1]! + (sample![2] ?? ''), Number(sample![3]));
		}
	}

	return samples;
}

test('the Prometheus text format: rscm_ gauges with HELP and TYPE, label values escaped', async t => {
	const {deployment, session} = await joinedInstance(t);
	await backupKey(session, {file: path.join(deployment.root, 'k.snk'), password: strongPassword});
	const at = await backedUpAt(session);
	const report = await checkHealth(session, {now: later(at, 90)});
	const samples = parseExposition(t, formatPrometheus(report));
	t.is(samples.get('rscm_check_status'), 0);
	t.is(samples.get('rscm_catalog_up'), 1);
	t.is(samples.get('rscm_key_primary_version'), 1);
	t.is(samples.get('rscm_key_backed_up'), 1);
	t.is(samples.get('rscm_key_backup_timestamp_seconds'), Math.floor(at.getTime() / 1000));
	t.is(samples.get('rscm_check_timestamp_seconds'), Math.floor(at.getTime() / 1000) + 90);
	t.is(samples.get('rscm_instances{status="joined"}'), 1);
	t.is(samples.get('rscm_key_status{status="joined"}'), 1);
	t.is(samples.get('rscm_key_change_pending'), 0);

	// Names come from the catalog: a quote, a backslash or a line feed cannot break the exposition.
	const odd: HealthReport = {...report, instance: {...report.instance!, machine: 'WEB"01', instanceName: 'A\\B\nC'}};
	const escaped = formatPrometheus(odd);
	t.true(escaped.includes('instance="WEB\\"01\\\\A\\\\B␊C"'), escaped);
	parseExposition(t, escaped);
});

test('the metrics file is written atomically and readable by the exporter whatever the umask', async t => {
	const directory = await tempDirectory(t);
	const file = path.join(directory, 'rscm.prom');
	const previous = process.umask(0o077);
	try {
		await writeMetricsFile(file, 'rscm_check_status 0\n');
		await writeMetricsFile(file, 'rscm_check_status 2\n');
	} finally {
		process.umask(previous);
	}

	t.is(await readFile(file, 'utf8'), 'rscm_check_status 2\n');
	t.is((await stat(file)).mode & 0o777, 0o644);
	t.deepEqual(await temporaryFiles(directory), []);
});

test('durations and thresholds', t => {
	t.is(parseDuration('90m', '--x'), 5400);
	t.is(parseDuration('36h', '--x'), 36 * hour);
	t.is(parseDuration('8d', '--x'), 8 * day);
	t.is(parseDuration('2w', '--x'), 14 * day);
	for (const bad of ['7', '0d', '-1d', '1.5d', 'd', '3 days', '']) {
		const error = t.throws(() => parseDuration(bad, '--backup-age-warning'));
		t.is((error as RscmError).code, 'USAGE', bad);
	}

	t.deepEqual(checkThresholds(undefined, undefined), {backupAgeWarning: undefined, backupAgeCritical: undefined});
	const reversed = t.throws(() => checkThresholds('8d', '2d'));
	t.regex(reversed.message, /--backup-age-warning \(8d\) is longer than --backup-age-critical \(2d\)/);
	t.is(formatAge(59), '59 seconds');
	t.is(formatAge(1), '1 second');
	t.is(formatAge(hour), '1 hour');
	t.is(formatAge(13 * day), '13 days');
	t.is(formatAge(15 * day), '2 weeks');
});
