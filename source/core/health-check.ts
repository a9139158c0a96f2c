import {chmod} from 'node:fs/promises';
import path from 'node:path';
import {writeFileAtomic} from '../files/atomic-write.ts';
import {fileError} from '../files/file-error.ts';
import {formatCount, formatTime} from './display-format.ts';
import {RscmError, errorSummary, toRscmError, type ErrorCode} from '../errors.ts';
import {listInstances, type InstanceSummary} from './instances.ts';
import {liveVersions} from './keyring.ts';
import type {Session} from './session.ts';
import {getStatus, instanceStatusLabels, type InstanceStatus, type StatusReport} from './status.ts';
import {displayText} from './terminal-text.ts';

/**
 * `rscm check` (README, Monitoring): what a monitoring system asks of one server — is the current key backed up,
 * can every instance open the key, is a key change pending or stalled, does the keyring verify — answered in the
 * monitoring-plugin convention (Nagios, Icinga, Zabbix, Sensu): a state, its exit code and one line with
 * performance data; or as Prometheus metrics for the node exporter's textfile collector.
 */

export type CheckState = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';

/** The monitoring-plugin convention, not rscm's usual 0/1/2. */
export const checkExitCodes: Record<CheckState, number> = {OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3};

/** Which state wins when findings mix: CRITICAL over UNKNOWN over WARNING, as plugin aggregators rank them. */
const severity: Record<CheckState, number> = {OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3};

export type CheckFindingKind =
	| 'backup-missing'
	| 'backup-outdated'
	| 'backup-age'
	| 'instance-key-unavailable'
	| 'instance-waiting'
	| 'key-change-pending'
	| 'key-change-stalled'
	| 'keyring'
	| 'catalog';

export type CheckFinding = {state: Exclude<CheckState, 'OK'>; kind: CheckFindingKind; message: string};

/** Backup ages, in seconds, from which the check warns or is critical; undefined: no such limit. */
export type CheckThresholds = {backupAgeWarning?: number | undefined; backupAgeCritical?: number | undefined};

export type PrimaryKeyHealth = {
	version: number;
	createdAt: string;
	backedUpAt: string | undefined;
	/** Seconds since the last backup of the primary key; undefined when it has none. */
	backupAge: number | undefined;
	/** The newest backup when it holds only an older version (it predates the last key change). */
	outdatedBackup: {at: string; version: number} | undefined;
};

export type HealthReport = {
	state: CheckState;
	exitCode: number;
	/** The findings, most severe first, or what is fine: the text of the plugin line. */
	summary: string;
	findings: CheckFinding[];
	checkedAt: string;
	thresholds: {backupAgeWarning: number | undefined; backupAgeCritical: number | undefined};
	catalog: {catalogId: string; kind: string; location: string} | undefined;
	instance: {machine: string; instanceName: string; keyStatus: InstanceStatus} | undefined;
	primaryKey: PrimaryKeyHealth | undefined;
	instances: {total: number; joined: number; waiting: number; keyUnavailable: number; identityMismatch: number};
	keyChange: {fromVersion: number; toVersion: number; done: number; total: number; startedAt: string; stalled: boolean} | undefined;
	/** Why the state is UNKNOWN: the error that stopped the check. */
	error: {code: ErrorCode; message: string} | undefined;
};

export type CheckOptions = {
	/** The time the ages are measured from; tests give a fixed one. */
	now: Date;
	thresholds?: CheckThresholds | undefined;
};

const durationUnits: Record<string, number> = {s: 1, m: 60, h: 3600, d: 86_400, w: 604_800};

/** `90m`, `36h`, `8d`, `2w` → seconds. A unit is required: a bare `7` would be ambiguous. */
export function parseDuration(text: string, option: string): number {
	const match = /^(\d{1,9})([smhdw])$/.exec(text.trim());
	const seconds = match ? Number(match[1]) * durationUnits[match[2]!]! : 0;
	if (!match || seconds <= 0) {
		throw new RscmError('USAGE', `${option} must be a duration such as 90m, 36h, 8d or 2w, not "${text}".`, {
			hint: 'A whole number followed by s, m, h, d or w (seconds, minutes, hours, days, weeks).',
		});
	}

	return seconds;
}

/** The thresholds from the options, checked together: a warning later than the critical limit would never fire. */
export function checkThresholds(warning: string | undefined, critical: string | undefined): CheckThresholds {
	const thresholds = {
		backupAgeWarning: warning === undefined ? undefined : parseDuration(warning, '--backup-age-warning'),
		backupAgeCritical: critical === undefined ? undefined : parseDuration(critical, '--backup-age-critical'),
	};
	if (thresholds.backupAgeWarning !== undefined && thresholds.backupAgeCritical !== undefined && thresholds.backupAgeWarning > thresholds.backupAgeCritical) {
		throw new RscmError('USAGE', `--backup-age-warning (${warning}) is longer than --backup-age-critical (${critical}).`, {
			hint: 'The warning comes first: give it the shorter age.',
		});
	}

	return thresholds;
}

/** `3 days`, `5 hours`, `12 minutes`: the largest whole unit, for the plugin line. */
export function formatAge(seconds: number): string {
	const units: Array<[string, number]> = [
		['week', 604_800],
		['day', 86_400],
		['hour', 3600],
		['minute', 60],
	];
	for (const [name, size] of units) {
		const count = Math.floor(seconds / size);
		if (count >= (name === 'week' ? 2 : 1)) return `${formatCount(count)} ${name}${count === 1 ? '' : 's'}`;
	}

	const whole = Math.max(0, Math.floor(seconds));
	return `${whole} second${whole === 1 ? '' : 's'}`;
}

function instanceName(row: {machine: string; instanceName: string}): string {
	return `${row.machine}\\${row.instanceName}`;
}

function namesOf(rows: Array<{machine: string; instanceName: string}>): string {
	const names = rows.slice(0, 3).map(row => instanceName(row));
	return rows.length > 3 ? `${names.join(', ')} and ${formatCount(rows.length - 3)} more` : names.join(', ');
}

function backupFindings(primary: PrimaryKeyHealth, thresholds: CheckThresholds): CheckFinding[] {
	if (primary.backedUpAt === undefined) {
		const outdated = primary.outdatedBackup;
		if (outdated) {
			return [
				{
					state: 'CRITICAL',
					kind: 'backup-outdated',
					message: `the last backup (${formatTime(outdated.at)}) holds key version ${outdated.version}, older than the last key change to version ${primary.version}`,
				},
			];
		}

		return [{state: 'CRITICAL', kind: 'backup-missing', message: `the current key (version ${primary.version}) was never backed up`}];
	}

	const age = primary.backupAge!;
	const {backupAgeWarning: warning, backupAgeCritical: critical} = thresholds;
	const message = (limit: number) => `the last backup of key version ${primary.version} is ${formatAge(age)} old (limit ${formatAge(limit)})`;
	if (critical !== undefined && age > critical) return [{state: 'CRITICAL', kind: 'backup-age', message: message(critical)}];
	if (warning !== undefined && age > warning) return [{state: 'WARNING', kind: 'backup-age', message: message(warning)}];
	return [];
}

function keyringFindings(status: StatusReport): CheckFinding[] {
	const self = `this instance (${instanceName(status)})`;
	switch (status.status) {
		case 'tampered': {
			return [{state: 'CRITICAL', kind: 'keyring', message: 'the keyring in the catalog does not verify (KEYRING_TAMPERED): see `rscm status`'}];
		}

		case 'unconfirmed': {
			return [{state: 'WARNING', kind: 'keyring', message: `${self} has not confirmed the key it was given: see \`rscm status\`, then \`rscm key accept\``}];
		}

		default: {
			return [];
		}
	}
}

/**
 * Joined instances that cannot open the key: this one when its own copy does not open (found by opening it), and
 * any other whose wrapped copies lack a live key version (found in the catalog: their copies only they can open).
 */
async function instancesWithoutKey(session: Session, status: StatusReport, rows: InstanceSummary[]): Promise<InstanceSummary[]> {
	return session.catalog.read(async tx => {
		const live = liveVersions(await tx.listKeyVersions()).map(row => row.version);
		const without: InstanceSummary[] = [];
		for (const row of rows) {
			if (row.status !== 'joined') continue;
			if (row.isThisInstance && status.status === 'key-unavailable') {
				without.push(row);
				continue;
			}

			const held = new Set((await tx.listWrappedKeys(row.installationId)).map(wrapped => wrapped.version));
			if (live.some(version => !held.has(version))) without.push(row);
		}

		return without;
	});
}

function instanceFindings(rows: InstanceSummary[], withoutKey: InstanceSummary[]): CheckFinding[] {
	const findings: CheckFinding[] = [];
	const mismatched = rows.filter(row => row.identityTampered);
	if (mismatched.length > 0) {
		findings.push({
			state: 'CRITICAL',
			kind: 'keyring',
			message: `${formatCount(mismatched.length)} instance(s) with an identity that does not match its public key (edited outside rscm): ${namesOf(mismatched)}`,
		});
	}

	if (withoutKey.length > 0) {
		findings.push({state: 'CRITICAL', kind: 'instance-key-unavailable', message: `${formatCount(withoutKey.length)} instance(s) Key unavailable: ${namesOf(withoutKey)}`});
	}

	const waiting = rows.filter(row => row.status === 'waiting');
	if (waiting.length > 0) {
		findings.push({state: 'WARNING', kind: 'instance-waiting', message: `${formatCount(waiting.length)} instance(s) Waiting to Join: ${namesOf(waiting)}`});
	}

	return findings;
}

function keyChangeOf(status: StatusReport, now: Date): HealthReport['keyChange'] {
	const rotation = status.rotation;
	if (!rotation) return undefined;
	// Stalled: nobody holds a live lease, so nothing moves it on (the process died, or it was stopped).
	const stalled = rotation.leaseExpiresAt === undefined || Date.parse(rotation.leaseExpiresAt) < now.getTime();
	return {fromVersion: rotation.fromVersion, toVersion: rotation.toVersion, done: rotation.done, total: rotation.total, startedAt: rotation.startedAt, stalled};
}

function keyChangeFindings(change: HealthReport['keyChange']): CheckFinding[] {
	if (!change) return [];
	const progress = `${formatCount(change.done)} of ${formatCount(change.total)} values re-encrypted`;
	if (change.stalled) {
		return [
			{
				state: 'CRITICAL',
				kind: 'key-change-stalled',
				message: `the key change from version ${change.fromVersion} to ${change.toVersion} stalled at ${progress}: run \`rscm key change\` to resume it`,
			},
		];
	}

	return [{state: 'WARNING', kind: 'key-change-pending', message: `a key change from version ${change.fromVersion} to ${change.toVersion} is running: ${progress}`}];
}

function stateOf(findings: CheckFinding[]): CheckState {
	let state: CheckState = 'OK';
	for (const finding of findings) if (severity[finding.state] > severity[state]) state = finding.state;
	return state;
}

function summaryOf(findings: CheckFinding[], fine: string): string {
	if (findings.length === 0) return fine;
	const ordered = [...findings].sort((a, b) => severity[b.state] - severity[a.state]);
	return ordered.map(finding => finding.message).join('; ');
}

export async function checkHealth(session: Session, options: CheckOptions): Promise<HealthReport> {
	const thresholds = {backupAgeWarning: options.thresholds?.backupAgeWarning, backupAgeCritical: options.thresholds?.backupAgeCritical};
	const checkedAt = options.now.toISOString();
	const status = await getStatus(session);
	if (!status.catalog.exists) {
		return unknownReport(new RscmError('CATALOG_NOT_FOUND', `No catalog at ${status.catalog.location}.`), options.now, thresholds);
	}

	if (status.status === 'not-initialized') {
		return unknownReport(new RscmError('NOT_INITIALIZED', `This instance (${instanceName(status)}) is not initialized.`, {hint: 'Run `rscm init`.'}), options.now, thresholds);
	}

	const rows = await listInstances(session);
	const withoutKey = await instancesWithoutKey(session, status, rows);
	const primary = status.primaryKey;
	const primaryKey = primary && {
		version: primary.version,
		createdAt: primary.createdAt,
		backedUpAt: primary.backedUpAt,
		backupAge: primary.backedUpAt === undefined ? undefined : Math.max(0, Math.floor((options.now.getTime() - Date.parse(primary.backedUpAt)) / 1000)),
		outdatedBackup: status.outdatedBackup,
	};
	const keyChange = keyChangeOf(status, options.now);
	const findings = [
		...keyringFindings(status),
		...(primaryKey ? backupFindings(primaryKey, thresholds) : []),
		...instanceFindings(rows, withoutKey),
		...keyChangeFindings(keyChange),
		...status.warnings.map(warning => ({state: 'WARNING' as const, kind: 'catalog' as const, message: warning})),
	];
	const state = stateOf(findings);
	const fine = primaryKey
		? `key version ${primaryKey.version} backed up ${formatTime(primaryKey.backedUpAt)} (${formatAge(primaryKey.backupAge ?? 0)} ago); ${formatCount(status.instances.joined)} instance(s) joined`
		: 'no findings';
	return {
		state,
		exitCode: checkExitCodes[state],
		summary: summaryOf(findings, fine),
		findings,
		checkedAt,
		thresholds,
		catalog: {catalogId: status.catalog.catalogId, kind: status.catalog.kind, location: status.catalog.location},
		instance: {machine: status.machine, instanceName: status.instanceName, keyStatus: status.status},
		primaryKey,
		instances: {
			total: rows.length,
			joined: rows.filter(row => row.status === 'joined').length,
			waiting: rows.filter(row => row.status === 'waiting').length,
			keyUnavailable: withoutKey.length,
			identityMismatch: rows.filter(row => row.identityTampered).length,
		},
		keyChange,
		error: undefined,
	};
}

/** The answer when the check itself failed (catalog unreachable, not initialized, a bug): UNKNOWN, never OK. */
export function unknownReport(thrown: unknown, now: Date, thresholds: CheckThresholds = {}): HealthReport {
	const error = toRscmError(thrown);
	return {
		state: 'UNKNOWN',
		exitCode: checkExitCodes.UNKNOWN,
		summary: `cannot check: ${errorSummary(error)}`,
		findings: [{state: 'UNKNOWN', kind: 'catalog', message: error.message}],
		checkedAt: now.toISOString(),
		thresholds: {backupAgeWarning: thresholds.backupAgeWarning, backupAgeCritical: thresholds.backupAgeCritical},
		catalog: undefined,
		instance: undefined,
		primaryKey: undefined,
		instances: {total: 0, joined: 0, waiting: 0, keyUnavailable: 0, identityMismatch: 0},
		keyChange: undefined,
		error: {code: error.code, message: error.message},
	};
}

/**
 * The plugin line: `RSCM STATE - summary | perfdata`, on one line whatever the catalog holds (its names pass
 * displayText). Performance data: label=value[unit];warn;crit;min;max, `U` for a value that is unknown.
 */
export function formatPluginLine(report: HealthReport): string {
	// A check that could not look has no measurements: zeros would read as "no instance waiting".
	if (report.error !== undefined) return displayText(`RSCM ${report.state} - ${report.summary}`);
	const {primaryKey, instances, keyChange, thresholds} = report;
	const limit = (value: number | undefined) => (value === undefined ? '' : String(value));
	const perf = [
		`backup_age=${primaryKey?.backupAge === undefined ? 'U' : `${primaryKey.backupAge}s`};${limit(thresholds.backupAgeWarning)};${limit(thresholds.backupAgeCritical)};0`,
		...(primaryKey ? [`key_version=${primaryKey.version}`] : []),
		`instances_joined=${instances.joined};;;0`,
		`instances_waiting=${instances.waiting};;;0`,
		`instances_key_unavailable=${instances.keyUnavailable};;;0`,
		`key_change_pending=${keyChange ? 1 : 0};;;0;1`,
		...(keyChange ? [`key_change_done=${keyChange.done};;;0;${keyChange.total}`] : []),
	];
	return displayText(`RSCM ${report.state} - ${report.summary} | ${perf.join(' ')}`);
}

/** A Prometheus label value: backslash, double quote and line feed escaped, as the text format requires. */
function labelValue(text: string): string {
	return displayText(text).replaceAll('\\', '\\\\').replaceAll('"', '\\"');
}

const keyStatuses = Object.keys(instanceStatusLabels) as InstanceStatus[];

/** The Prometheus text format for the node exporter's textfile collector: gauges named rscm_*, each with HELP and TYPE. */
export function formatPrometheus(report: HealthReport): string {
	const lines: string[] = [];
	const gauge = (name: string, help: string, samples: Array<[labels: string, value: number]>) => {
		if (samples.length === 0) return;
		lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
		for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
	};

	const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
	const {primaryKey, instances, keyChange, catalog, instance} = report;
	gauge('rscm_check_status', 'The rscm check state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.', [['', report.exitCode]]);
	gauge('rscm_check_timestamp_seconds', 'When rscm check ran, in Unix time.', [['', seconds(report.checkedAt)]]);
	gauge('rscm_catalog_up', '1 when the check could open the catalog and judge this instance, 0 when it is UNKNOWN.', [['', report.error === undefined ? 1 : 0]]);
	if (catalog && instance) {
		gauge('rscm_info', 'The catalog and instance this check ran on.', [
			[`{catalog_id="${labelValue(catalog.catalogId)}",catalog_kind="${labelValue(catalog.kind)}",instance="${labelValue(instanceName(instance))}"}`, 1],
		]);
		gauge(
			'rscm_key_status',
			"This instance's relation to the key: 1 for its current status, 0 for the others.",
			keyStatuses.map(status => [`{status="${status}"}`, instance.keyStatus === status ? 1 : 0]),
		);
	}

	if (primaryKey) {
		gauge('rscm_key_primary_version', 'The version number of the primary key.', [['', primaryKey.version]]);
		gauge('rscm_key_backed_up', '1 when the primary key has a backup, 0 when it was never backed up or only before the last key change.', [
			['', primaryKey.backedUpAt === undefined ? 0 : 1],
		]);
		if (primaryKey.backedUpAt !== undefined) {
			gauge('rscm_key_backup_timestamp_seconds', 'When the primary key was last backed up, in Unix time.', [['', seconds(primaryKey.backedUpAt)]]);
		}
	}

	if (report.error === undefined) {
		gauge('rscm_instances', 'Instances of the catalog by status (key_unavailable: joined but without a copy of every live key version).', [
			['{status="joined"}', instances.joined],
			['{status="waiting"}', instances.waiting],
			['{status="key_unavailable"}', instances.keyUnavailable],
		]);
		gauge('rscm_instances_identity_mismatch', 'Instances whose stored identity does not match their public key (edited outside rscm).', [['', instances.identityMismatch]]);
		gauge('rscm_key_change_pending', '1 while a key change is pending.', [['', keyChange ? 1 : 0]]);
		gauge('rscm_key_change_stalled', '1 when a pending key change has no live lease: nothing moves it on.', [['', keyChange?.stalled ? 1 : 0]]);
		if (keyChange) {
			gauge('rscm_key_change_values_done', 'Values re-encrypted so far by the pending key change.', [['', keyChange.done]]);
			gauge('rscm_key_change_values', 'Values the pending key change re-encrypts in all.', [['', keyChange.total]]);
		}
	}

	return lines.join('\n') + '\n';
}

/**
 * Writes the metrics for the textfile collector: atomically (it reads *.prom files at any moment, and the temporary
 * name does not end in .prom) and readable by the exporter's user, as the metrics hold no secret.
 */
export async function writeMetricsFile(file: string, metrics: string): Promise<void> {
	const target = path.resolve(file);
	await writeFileAtomic(target, metrics, {overwrite: true, mode: 0o644});
	// Past the umask (a hardened unit's UMask=0077 would leave it unreadable to the exporter).
	await chmod(target, 0o644).catch((error: unknown) => {
		throw fileError(error, target, 'change the mode of');
	});
}
