import {catalogCopyTargets, catalogLocationKinds} from '../core/catalog-kinds.ts';
import {copyCatalog} from '../core/catalog-copy.ts';
import {changeKey} from '../core/key-change.ts';
import {backupKey, restoreKey, verifyBackup} from '../core/key-backup.ts';
import {deleteEncryptedContent, previewDeleteContent} from '../core/delete-content.ts';
import {dataSourceFields, forEachDataSourcePage, importDataSources, removeDataSource, setDataSource, showDataSource, validateDataSourceInput, validateDataSourceName} from '../core/data-sources.ts';
import {RscmError} from '../errors.ts';
import {formatCount, formatTime} from '../core/display-format.ts';
import {formatSize, inputLimits} from '../core/input-limits.ts';
import {catalogLocationToSave} from '../core/catalog-connection.ts';
import {initialize} from '../core/initialize.ts';
import {addInstance, findInstance, isLastJoinedInstance, listInstances, removeInstance} from '../core/instances.ts';
import {estimatePasswordStrength} from '../core/password-strength.ts';
import {changeServiceIdentity, noBackupError, primaryKeyBackedUp} from '../core/service-identity.ts';
import type {Session} from '../core/session.ts';
import {getStatus, instanceStatusLabels} from '../core/status.ts';
import {checkExitCodes, checkHealth, checkThresholds, formatPluginLine, formatPrometheus, unknownReport, writeMetricsFile, type HealthReport} from '../core/health-check.ts';
import {parseKeepCount, scheduledBackup, type ScheduledBackupResult} from '../core/scheduled-backup.ts';
import type {SecretState} from '../core/secret-values.ts';
import {displayText} from '../core/terminal-text.ts';
import type {CommandIo} from './command-io.ts';
import {formatTable, jsonArrayWriter, tableLine, writeOrWait} from './output.ts';
import {keepHeapSmall} from './memory.ts';
import {confirm, readPassword} from './prompts.ts';
import {readLine, readRest} from './stdin-lines.ts';
import {acceptKey, proposedKey} from '../core/key-accept.ts';
import {listAuditLog, verifyAudit} from '../core/audit-log.ts';
import {completionScript, completionShells} from './completion.ts';

export type OptionSpec = {type: 'string' | 'boolean'; short?: string; description: string; value?: string};

export type CommandContext = {
	io: CommandIo;
	values: Record<string, string | boolean | undefined>;
	positionals: string[];
	json: boolean;
	openSession(): Promise<Session>;
};

export type CommandSpec = {
	words: string[];
	summary: string;
	arguments?: string;
	options: Record<string, OptionSpec>;
	examples: string[];
	/** Positional arguments the command needs (names for the usage line). */
	positionals?: string[];
	/** Human output goes to stderr/stdout here; the returned value is what --json prints. */
	run(context: CommandContext): Promise<unknown>;
	/**
	 * The command writes its --json document to stdout itself, as it goes (a list too long to hold: `datasource
	 * list`); what run() returns is then not printed.
	 */
	streamsJson?: boolean;
	/** Exit codes of its own instead of 0, 1, 2: `rscm check` answers in the monitoring-plugin convention. */
	exitCodes?: {ofResult(result: unknown): number; onError: number};
};

const passwordOptions: Record<string, OptionSpec> = {
	'password-stdin': {type: 'boolean', description: 'Read the password from the first line of stdin (at most 1,024 bytes).'},
	'password-file': {type: 'string', value: 'PATH', description: 'Read the password from the first line of a file or a pipe such as <(pass show rscm) (at most 1,024 bytes).'},
};

const yesOption: Record<string, OptionSpec> = {
	yes: {type: 'boolean', short: 'y', description: 'Confirm a destructive operation (required when stdin is not a terminal).'},
};

const jsonOption: Record<string, OptionSpec> = {json: {type: 'boolean', description: 'Print the result as one JSON document.'}};

function say(context: CommandContext, text: string): void {
	// Human progress and results go to stderr under --json, so stdout holds exactly one JSON document. Every human
	// line passes here and quotes catalog text (names, locations, details): its control characters are made visible.
	const safe = displayText(text, {keepLineBreaks: true});
	(context.json ? context.io.stderr : context.io.stdout).write(safe.endsWith('\n') ? safe : safe + '\n');
}

function stringValue(context: CommandContext, name: string): string | undefined {
	const value = context.values[name];
	return typeof value === 'string' ? value : undefined;
}

function requireFile(context: CommandContext): string {
	const file = stringValue(context, 'file');
	if (!file) throw new RscmError('USAGE', '--file PATH is required.');
	return file;
}

/** `key backup --dir DIR --keep N` (scheduled backups), or undefined for `--file PATH`. */
function backupDirectory(context: CommandContext): {directory: string; keep: number} | undefined {
	const directory = stringValue(context, 'dir');
	if (directory === undefined) {
		if (context.values['keep'] !== undefined) throw new RscmError('USAGE', '--keep N goes with --dir DIR.');
		return undefined;
	}

	if (context.values['file'] !== undefined || context.values['force'] === true) {
		throw new RscmError('USAGE', '--dir writes a new file each time: it does not go with --file or --force.');
	}

	return {directory, keep: parseKeepCount(stringValue(context, 'keep'))};
}

function reportScheduledBackup(context: CommandContext, result: ScheduledBackupResult): ScheduledBackupResult {
	const versions = `${result.versions.length} version${result.versions.length === 1 ? '' : 's'}`;
	say(context, `Backed up key ${result.primaryFingerprint} (${versions}) to ${result.file}; verified: it opens with the password and holds every live key version.`);
	const beyond = result.protected.length > 0 ? ` (${formatCount(result.protected.length)} beyond --keep: the only backup of a live key version)` : '';
	say(context, `${formatCount(result.kept.length)} backup(s) of this catalog kept${beyond}; ${formatCount(result.pruned.length)} older removed.`);
	for (const file of result.pruned) say(context, `  removed ${file}`);
	return result;
}

function passwordSource(context: CommandContext) {
	return {passwordStdin: context.values['password-stdin'] === true, passwordFile: stringValue(context, 'password-file')};
}

/** The Last backup line of `rscm status`: when, or which backup is outdated and why. */
function lastBackup(primary: {version: number; backedUpAt?: string | undefined}, outdated: {at: string; version: number} | undefined): string {
	if (primary.backedUpAt !== undefined) return formatTime(primary.backedUpAt);
	if (outdated === undefined) return 'Never — back up the key now';
	return `outdated — ${formatTime(outdated.at)} holds version ${outdated.version}, not version ${primary.version}: back up the key now`;
}

/** The location as the instance's settings keep it, or undefined for one that must not be saved. */
function savedLocation(location: string): string | undefined {
	try {
		return catalogLocationToSave(location);
	} catch {
		return undefined;
	}
}

const dataSourceListHeader = ['Name', 'Connection string', 'User name', 'Password'];

/** The field columns of `datasource list`, each as wide as its header or the longest state (`needs-reentry`). */
const fieldWidths = dataSourceListHeader.slice(1).map(header => Math.max(header.length, ...(['set', 'unset', 'needs-reentry'] satisfies SecretState[]).map(state => state.length)));

/** What the field columns and their gaps leave the names of an 80-column line. */
const dataSourceNameWidth = 80 - fieldWidths.reduce((sum, width) => sum + 2 + width, 0);

/** The columns of `datasource list`: the names as wide as the longest given (made visible), capped to fit 80 columns. */
function dataSourceListWidths(names: readonly string[]): number[] {
	const longest = Math.max('Name'.length, ...names.map(name => Array.from(displayText(name)).length));
	return [Math.min(longest, dataSourceNameWidth), ...fieldWidths];
}

async function withSession<T>(context: CommandContext, work: (session: Session) => Promise<T>): Promise<T> {
	const session = await context.openSession();
	try {
		return await work(session);
	} finally {
		await session.close();
	}
}

export const commands: CommandSpec[] = [
	{
		words: ['init'],
		summary: 'Create the catalog if missing and initialize this instance',
		options: {name: {type: 'string', value: 'NAME', description: 'Instance name (default SSRS).'}, ...jsonOption},
		examples: ['rscm init', 'rscm --catalog /srv/rscm/catalog.db init --name SSRS2'],
		run: async context =>
			withSession(context, async session => {
				const result = await initialize(session, {name: stringValue(context, 'name')});
				// As SSRS's Change Database: the catalog given to init is the one this instance uses from now on, so
				// `rscm` alone opens it (RSCM_CATALOG and --catalog still come first).
				const given = stringValue(context, 'catalog');
				if (given !== undefined) {
					// A URL with a password in it is not saved (rscm keeps no database password): it is given each time.
					const saved = savedLocation(given);
					if (saved === undefined) say(context, 'Not saved as this instance\'s catalog: the URL holds a password (use ~/.pgpass or PGPASSWORD).');
					else await session.settings.set({catalog: saved});
				}
				if (result.catalogCreated) say(context, `Created catalog ${session.catalog.location}.`);
				if (result.keyFingerprint) {
					say(context, `Initialized: this instance created key version 1 (${result.keyFingerprint}) and joined.`);
					say(context, 'Back up the key now: rscm key backup --file rskey.snk');
				} else {
					say(context, `Status: ${instanceStatusLabels[result.status]}. Identity fingerprint ${result.identityFingerprint}.`);
					if (result.status === 'waiting') say(context, `On a joined server run: rscm instance add ${result.installationId}`);
				}

				return result;
			}),
	},
	{
		words: ['status'],
		summary: 'Show this instance, its catalog and the key',
		options: {...jsonOption},
		examples: ['rscm status', 'rscm status --json'],
		run: async context =>
			withSession(context, async session => {
				const report = await getStatus(session);
				if (!context.json) {
					const lines = [
						// First, so a script's log or an admin's glance cannot miss it.
						...(report.status === 'tampered' ? ['KEYRING TAMPERED: do not use this catalog until it is resolved (see Key status).'] : []),
						...(report.status === 'unconfirmed' ? ['KEY NOT CONFIRMED: compare the key fingerprint with a joined server, then `rscm key accept` (see Key status).'] : []),
						...report.warnings.map(warning => `Warning: ${warning}`),
						`Instance:        ${report.machine}\\${report.instanceName}`,
						`Installation id: ${report.installationId ?? '(none)'}`,
						// Shown so the admin can compare it with what `rscm instance add` on a joined server shows.
						...(report.identity ? [`Identity:        ${report.identity.fingerprint}`] : []),
						`Catalog:         ${report.catalog.kind} ${report.catalog.location}${report.catalog.exists ? ` (${report.catalog.catalogId})` : ' (not created)'}`,
						`Key status:      ${instanceStatusLabels[report.status]}${report.statusDetail ? ` — ${report.statusDetail}` : ''}`,
					];
					if (report.primaryKey) {
						lines.push(
							`Primary key:     version ${report.primaryKey.version}, ${report.primaryKey.fingerprint}, created ${formatTime(report.primaryKey.createdAt)}`,
							`Last backup:     ${lastBackup(report.primaryKey, report.outdatedBackup)}`,
						);
					}

					if (report.rotation) lines.push(`Key change:      pending, ${formatCount(report.rotation.done)} of ${formatCount(report.rotation.total)} values re-encrypted`);
					if (report.secrets) {
						const s = report.secrets;
						lines.push(`Encrypted items: ${formatCount(s.datasource.total)} data source values, ${formatCount(s.subscription.total)} subscription values, ${formatCount(s.setting.total)} settings (${formatCount(s.datasource.needsReentry + s.subscription.needsReentry + s.setting.needsReentry)} need re-entry)`);
					}

					lines.push(`Scale-out:       ${formatCount(report.instances.joined)} joined, ${formatCount(report.instances.waiting)} waiting`);
					say(context, lines.join('\n'));
				}

				return report;
			}),
	},
	{
		words: ['check'],
		summary: 'Check the key, its backups and the instances for monitoring (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)',
		options: {
			'backup-age-warning': {type: 'string', value: 'AGE', description: 'WARNING when the last backup of the primary key is older than AGE (90m, 36h, 8d, 2w).'},
			'backup-age-critical': {type: 'string', value: 'AGE', description: 'CRITICAL when it is older than AGE.'},
			format: {type: 'string', value: 'FORMAT', description: 'plugin (one line with performance data, the default) or prometheus (the text format of the node exporter\'s textfile collector).'},
			output: {type: 'string', value: 'PATH', description: 'With --format prometheus: write the metrics to PATH (a .prom file), atomically, instead of to stdout.'},
			...jsonOption,
		},
		examples: [
			'rscm check --backup-age-warning 2d --backup-age-critical 8d',
			'rscm check --format prometheus --output /var/lib/prometheus/node-exporter/rscm.prom',
			'rscm check --json',
		],
		exitCodes: {ofResult: result => (result as HealthReport).exitCode, onError: checkExitCodes.UNKNOWN},
		run: async context => {
			const thresholds = checkThresholds(stringValue(context, 'backup-age-warning'), stringValue(context, 'backup-age-critical'));
			const format = stringValue(context, 'format') ?? 'plugin';
			const output = stringValue(context, 'output');
			if (format !== 'plugin' && format !== 'prometheus') throw new RscmError('USAGE', `--format is plugin or prometheus, not "${format}".`);
			if (output !== undefined && format !== 'prometheus') throw new RscmError('USAGE', '--output PATH goes with --format prometheus.');
			if (context.json && format === 'prometheus') throw new RscmError('USAGE', '--json and --format prometheus are two formats: give one.');
			const now = new Date();
			let report: HealthReport;
			try {
				report = await withSession(context, async session => checkHealth(session, {now, thresholds}));
			} catch (error) {
				// The check must answer even when it cannot look: UNKNOWN, in the same format, never an rscm error.
				report = unknownReport(error, now, thresholds);
			}

			if (format === 'prometheus') {
				if (output === undefined) {
					context.io.stdout.write(formatPrometheus(report));
					return report;
				}

				await writeMetricsFile(output, formatPrometheus(report));
			}

			if (!context.json) say(context, formatPluginLine(report));
			return report;
		},
	},
	{
		words: ['key', 'backup'],
		summary: 'Back up the encryption key to a password-protected file',
		options: {
			file: {type: 'string', short: 'f', value: 'PATH', description: 'Where to write the backup (.snk).'},
			force: {type: 'boolean', description: 'Overwrite an existing file.'},
			dir: {type: 'string', value: 'DIR', description: 'Instead of --file: a new backup in DIR named by catalog, key version and time, re-opened and verified, the oldest pruned.'},
			keep: {type: 'string', value: 'N', description: 'With --dir: the backups of this catalog to keep in DIR; an older one stays while it is the only backup of a live key version.'},
			...passwordOptions,
			...jsonOption,
		},
		examples: [
			'rscm key backup --file /root/rskey.snk',
			'pass show rscm | rscm key backup --file rskey.snk --password-stdin',
			'rscm key backup --dir /var/backups/rscm --keep 14 --password-file /etc/rscm/backup-password',
		],
		run: async context =>
			withSession(context, async session => {
				const scheduled = backupDirectory(context);
				const file = scheduled === undefined ? requireFile(context) : undefined;
				const {password, confirm: confirmation} = await readPassword(context.io, passwordSource(context), 'Password: ', 'Confirm Password: ');
				for (const warning of (await estimatePasswordStrength(password)).warnings) context.io.stderr.write(`warning: ${warning}\n`);
				if (scheduled) return reportScheduledBackup(context, await scheduledBackup(session, {...scheduled, password, confirm: confirmation, signal: context.io.signal}));
				const result = await backupKey(session, {
					file: file!,
					password,
					confirm: confirmation,
					overwrite: context.values['force'] === true,
					signal: context.io.signal,
				});
				say(context, `Backed up key ${result.primaryFingerprint} (${result.versions.length} version${result.versions.length === 1 ? '' : 's'}) to ${result.file}.`);
				return result;
			}),
	},
	{
		words: ['key', 'verify'],
		summary: 'Open a backup and say what it holds; changes nothing',
		options: {file: {type: 'string', short: 'f', value: 'PATH', description: 'The backup file.'}, ...passwordOptions, ...jsonOption},
		examples: ['rscm key verify --file rskey.snk'],
		run: async context => {
			const file = requireFile(context);
			const {password} = await readPassword(context.io, passwordSource(context), 'Password: ');
			let session: Session | undefined;
			try {
				session = await context.openSession();
			} catch {
				// Verify works without a catalog: it then only says what the file holds.
			}

			try {
				const result = await verifyBackup(session, {file, password});
				const keys = result.keys.map(key => `  version ${key.version}  ${key.fingerprint}${key.primary ? '  (primary)' : ''}  created ${formatTime(key.createdAt)}`);
				const verdict =
					result.matchesCatalog === undefined
						? 'No catalog to compare with.'
						: !result.matchesCatalog
							? 'It belongs to another catalog.'
							: result.restorable
								? 'It matches this catalog and can be restored.'
								: `It lacks live key version(s) ${result.missingVersions.join(', ')}: too old to restore.`;
				say(context, [`Backup of catalog ${result.catalogId}, made ${formatTime(result.createdAt)}:`, ...keys, verdict].join('\n'));
				// A backup that cannot be restored here is a failure a cron job must see (exit 1), not a report.
				if (result.matchesCatalog === false) {
					throw new RscmError('BACKUP_FOR_OTHER_CATALOG', `The backup belongs to catalog ${result.catalogId}, not to this one.`, {
						hint: 'Check --catalog, or use a backup made from this catalog.',
					});
				}

				if (result.matchesCatalog && !result.restorable) {
					throw new RscmError('BACKUP_OUTDATED', `The backup lacks live key version(s) ${result.missingVersions.join(', ')}: it predates a key change.`, {
						hint: 'Make a new backup now: rscm key backup --file PATH.',
					});
				}

				return result;
			} finally {
				await session?.close();
			}
		},
	},
	{
		words: ['key', 'restore'],
		summary: "Restore the key from a backup into this instance",
		options: {file: {type: 'string', short: 'f', value: 'PATH', description: 'The backup file.'}, ...passwordOptions, ...jsonOption},
		examples: ['rscm key restore --file rskey.snk', 'rscm key restore --file rskey.snk --password-file /root/.rskey-pass'],
		run: async context =>
			withSession(context, async session => {
				const file = requireFile(context);
				const {password} = await readPassword(context.io, passwordSource(context), 'Password: ');
				const result = await restoreKey(session, {file, password});
				say(context, `Restored key ${result.fingerprints.join(', ')} from ${result.file}.${result.identityCreated ? ' A new service identity was created.' : ''}`);
				return result;
			}),
	},
	{
		words: ['key', 'accept'],
		summary: 'Confirm the key this instance was given, after comparing its fingerprint',
		options: {
			fingerprint: {type: 'string', value: 'FP', description: 'The Primary key fingerprint shown on a joined server (instead of confirming on a terminal).'},
			...yesOption,
			...jsonOption,
		},
		examples: ['rscm key accept', 'rscm key accept --fingerprint 3f2a-91c0-77de-0b14'],
		run: async context =>
			withSession(context, async session => {
				const expected = stringValue(context, 'fingerprint');
				const proposed = await proposedKey(session);
				say(context, `This instance was given key version ${proposed.version}, fingerprint ${proposed.fingerprint}.`);
				if (expected === undefined) {
					await confirm(context.io, 'Does it match the Primary key line of `rscm status` on a joined server?', context.values['yes'] === true);
				}

				const result = await acceptKey(session, expected ?? proposed.fingerprint);
				say(context, `Accepted key version ${result.version} (${result.fingerprint}): this instance uses it now.`);
				return result;
			}),
	},
	{
		words: ['key', 'change'],
		summary: 'Create a new key and re-encrypt all content (resumable)',
		options: {...yesOption, ...jsonOption},
		examples: ['rscm key change', 'rscm key change --yes   # from a script'],
		run: async context =>
			withSession(context, async session => {
				await confirm(context.io, 'Create a new encryption key and re-encrypt all content?', context.values['yes'] === true);
				const progress = context.io.stderr.isTTY && !context.json;
				let progressShown = false;
				let result;
				try {
					// A closed stdout (`| head -1`) does not stop it: the change finishes, only its lines are lost.
					result = await changeKey(session, {
						signal: context.io.signal,
						onProgress: ({done, total}) => {
							if (!progress) return;
							context.io.stderr.write(`\rRe-encrypting: ${formatCount(done)} of ${formatCount(total)}`);
							progressShown = true;
						},
					});
				} finally {
					// Ends the progress line however the change ends, so the result or the error starts a line of its own.
					if (progressShown) context.io.stderr.write('\n');
				}

				say(context, `${result.resumed ? 'Resumed and finished' : 'Finished'} key change: version ${result.toVersion} (${result.fingerprint}) is primary; ${formatCount(result.reencrypted)} values re-encrypted; version ${result.fromVersion} retired.`);
				say(context, 'Back up the new key now: rscm key backup --file PATH');
				return result;
			}),
	},
	{
		words: ['key', 'delete-content'],
		summary: 'Erase all encrypted content and create a new key',
		options: {...yesOption, ...jsonOption},
		examples: ['rscm key delete-content', 'rscm key delete-content --yes'],
		run: async context =>
			withSession(context, async session => {
				const preview = await previewDeleteContent(session);
				// Said with --yes too: --yes confirms, it does not hide what is erased (the log of a script shows it).
				say(context, `This erases ${formatCount(preview.total)} encrypted values; they will have to be entered again:`);
				for (const value of preview.sample) say(context, `  ${value.kind} ${value.owner}: ${value.field}`);
				if (preview.total > preview.sample.length) say(context, `  … and ${formatCount(preview.total - preview.sample.length)} more`);
				if (preview.instancesReset.length > 0) say(context, `${formatCount(preview.instancesReset.length)} other instance(s) will fall back to Waiting to Join.`);

				await confirm(context.io, 'Delete all encrypted content?', context.values['yes'] === true);
				const result = await deleteEncryptedContent(session);
				say(context, `Deleted ${formatCount(result.cleared)} encrypted values; new key ${result.fingerprint}. ${result.instancesReset} instance(s) now wait to join.`);
				return result;
			}),
	},
	{
		words: ['audit'],
		summary: 'Show the audit log, newest first: who did what with which key version',
		options: {limit: {type: 'string', value: 'N', description: 'How many entries (default 50).'}, ...jsonOption},
		examples: ['rscm audit', 'rscm audit --limit 500 --json'],
		run: async context =>
			withSession(context, async session => {
				const limitText = stringValue(context, 'limit') ?? '50';
				const limit = Number(limitText);
				if (!/^\d+$/.test(limitText) || limit < 1 || limit > 1_000_000) {
					throw new RscmError('USAGE', `--limit takes a whole number from 1 to 1000000, not "${limitText}".`);
				}

				const entries = await listAuditLog(session, limit);
				if (!context.json) {
					say(
						context,
						formatTable(
							['Id', 'Time', 'Operation', 'Outcome', 'Signed', 'Instance', 'Detail'],
							entries.map(entry => [
								String(entry.id),
								formatTime(entry.at),
								entry.operation,
								entry.outcome,
								entry.signed ? `v${entry.keyVersion}` : entry.chained ? 'no' : 'before chain',
								entry.installationId?.slice(0, 8) ?? '',
								entry.detail,
							]),
						),
					);
				}

				return entries;
			}),
	},
	{
		words: ['audit', 'verify'],
		summary: 'Check the audit log for altered, forged or removed entries',
		options: {...jsonOption},
		examples: ['rscm audit verify', 'rscm audit verify --json'],
		run: async context =>
			withSession(context, async session => {
				const result = await verifyAudit(session);
				for (const finding of result.findings) say(context, `Entry ${finding.id}: ${finding.problem}: ${finding.detail}`);
				say(
					context,
					`${formatCount(result.entries)} entries: ${formatCount(result.signed)} signed, ${formatCount(result.unsignedTail)} unsigned since the last signed entry, ${formatCount(result.unchained)} from before the chain; ${formatCount(result.findings.length)} problems.`,
				);
				if (result.findings.length > 0) {
					const first = result.findings[0]!;
					throw new RscmError('AUDIT_TAMPERED', `The audit log does not verify: ${result.findings.length} problems, the first at entry ${first.id} (${first.problem}: ${first.detail}).`, {
						hint: 'The catalog was edited outside rscm. Keep a copy of it for investigation; restore the catalog from a database backup to recover the log.',
					});
				}

				return result;
			}),
	},
	{
		words: ['instance', 'list'],
		summary: 'List the instances that share this catalog',
		options: {...jsonOption},
		examples: ['rscm instance list'],
		run: async context =>
			withSession(context, async session => {
				const rows = await listInstances(session);
				if (!context.json) {
					say(
						context,
						formatTable(
							// Besides the id, what tells servers apart for an admin: the account each runs as and when it registered.
							['', 'Server', 'Instance', 'Status', 'Installation id', 'Identity', 'Account', 'Registered'],
							rows.map(row => [
								row.isThisInstance ? '*' : '',
								row.machine,
								row.instanceName,
								row.statusLabel,
								row.installationId,
								row.identityFingerprint,
								row.serviceAccount,
								formatTime(row.registeredAt),
							]),
						),
					);
				}

				return rows;
			}),
	},
	{
		words: ['instance', 'add'],
		summary: 'Give the key to an instance that is Waiting to Join',
		positionals: ['ID'],
		options: {
			fingerprint: {type: 'string', value: 'FP', description: 'Expected identity fingerprint (instead of confirming on a terminal).'},
			...yesOption,
			...jsonOption,
		},
		examples: ['rscm instance add 5c1e', 'rscm instance add 5c1e2a90-… --fingerprint 3f2a-91c0-77de-0b14-aa12'],
		run: async context =>
			withSession(context, async session => {
				const target = await findInstance(session, context.positionals[0]!);
				const expected = stringValue(context, 'fingerprint');
				say(context, `${target.machine}\\${target.instanceName} (${target.installationId}) identity fingerprint: ${target.identityFingerprint}`);
				// The core compares the fingerprint with the key it wraps to, inside its transaction.
				if (expected === undefined) {
					await confirm(context.io, 'Does this fingerprint match what `rscm status` shows on that server?', context.values['yes'] === true);
				}

				const result = await addInstance(session, target.installationId, expected ?? target.identityFingerprint);
				say(context, `Added ${result.machine}\\${result.instanceName}: it now holds the key.`);
				return result;
			}),
	},
	{
		words: ['instance', 'remove'],
		summary: 'Remove an instance from the scale-out deployment',
		positionals: ['ID'],
		options: {...yesOption, ...jsonOption},
		examples: ['rscm instance remove 5c1e --yes'],
		run: async context =>
			withSession(context, async session => {
				const target = await findInstance(session, context.positionals[0]!);
				const last = await isLastJoinedInstance(session, target.installationId);
				const warning = last ? ' It is the last joined instance: afterwards only a restore from backup brings the key back.' : '';
				await confirm(context.io, `Remove ${target.machine}\\${target.instanceName} (${target.installationId})?${warning}`, context.values['yes'] === true);
				const result = await removeInstance(session, target.installationId);
				say(context, `Removed ${result.machine}\\${result.instanceName}.`);
				return result;
			}),
	},
	{
		words: ['account', 'change'],
		summary: 'Create a new service identity and re-wrap the key for it',
		options: {
			...yesOption,
			'no-backup-check': {type: 'boolean', description: 'Change it even though the primary key has no backup (--yes alone does not skip the check).'},
			...jsonOption,
		},
		examples: ['rscm key backup --file rskey.snk && rscm account change --yes'],
		run: async context =>
			withSession(context, async session => {
				// Two flags for two decisions, as the Service Account page backs the key up before it changes anything:
				// --yes only confirms; skipping the backup is asked for by name.
				const skipBackupCheck = context.values['no-backup-check'] === true;
				// Checked before asking, so nobody confirms a change that is then refused.
				if (!skipBackupCheck && !(await primaryKeyBackedUp(session))) throw noBackupError();
				await confirm(context.io, 'Create a new service identity for this instance?', context.values['yes'] === true);
				const result = await changeServiceIdentity(session, {allowWithoutBackup: skipBackupCheck});
				say(context, `New service identity ${result.fingerprint} (was ${result.previousFingerprint}).`);
				return result;
			}),
	},
	{
		words: ['catalog', 'copy'],
		summary: `Copy this catalog to ${catalogCopyTargets()}, and verify the copy`,
		options: {
			to: {type: 'string', value: 'LOCATION', description: `The new catalog: ${catalogLocationKinds()}; it must hold no catalog.`},
			...jsonOption,
		},
		examples: [
			"rscm catalog copy --to 'postgres://rscm@db01:5432/reports?schema=rscm'",
			'rscm --catalog /srv/rs/catalog.db catalog copy --to /srv/rs/catalog-copy.db --json',
		],
		run: async context =>
			withSession(context, async session => {
				const to = stringValue(context, 'to');
				if (!to) throw new RscmError('USAGE', '--to LOCATION is required.', {hint: `Give ${catalogLocationKinds()}.`});
				keepHeapSmall();
				const progress = context.io.stderr.isTTY && !context.json;
				const result = await copyCatalog(session, to, {
					signal: context.io.signal,
					onProgress: ({phase, done, total}) => {
						if (progress) context.io.stderr.write(`\r${phase === 'copying' ? 'Copying' : 'Verifying'}: ${formatCount(done)} of ${formatCount(total)} values`);
					},
				});
				if (progress) context.io.stderr.write('\n');
				const {counts} = result;
				say(
					context,
					[
						`Copied catalog ${result.catalogId} from ${result.from.kind} ${result.from.location} to ${result.to.kind} ${result.to.location}.`,
						`  ${formatCount(counts.instances)} instances, ${formatCount(counts.keyVersions)} key versions (${formatCount(counts.wrappedKeys)} wrapped copies), ${formatCount(counts.secrets)} encrypted values, ${formatCount(counts.dataSources)} data sources, ${formatCount(counts.subscriptions)} subscriptions, ${formatCount(counts.settings)} settings, ${formatCount(counts.auditEntries)} audit entries${result.pendingRotation ? ', a pending key change' : ''}.`,
						`  Verified: ${formatCount(result.decrypted ?? 0)} values decrypt in the copy with this instance's key${result.needsReentry > 0 ? `; ${formatCount(result.needsReentry)} need re-entry, as in the source` : ''}.`,
						`Point the servers at it: rscm --catalog '${result.to.location}' status (or set RSCM_CATALOG).`,
					].join('\n'),
				);
				return result;
			}),
	},
	{
		words: ['datasource', 'set'],
		summary: 'Create or update a data source from JSON on stdin',
		positionals: ['NAME'],
		options: {...jsonOption},
		examples: [`echo '{"connectionString":"Server=db;Database=Sales","username":"rs","password":"…"}' | rscm datasource set Sales`],
		run: async context =>
			withSession(context, async session => {
				// Read as a stream up to its cap: a huge stdin is refused after its first KiBs, never buffered whole.
				const text = await readRest(context.io.stdin, {
					maxBytes: inputLimits.dataSourceJson,
					what: 'The JSON on stdin',
					hint: `Give one JSON object of at most ${formatSize(inputLimits.dataSourceJson)}: {"connectionString", "username", "password"}. Nothing was written.`,
					signal: context.io.signal,
				});
				let input: unknown;
				try {
					input = JSON.parse(text);
				} catch {
					throw new RscmError('INVALID_INPUT', 'stdin is not valid JSON.', {hint: 'Give one JSON object: {"connectionString", "username", "password"}.'});
				}

				const result = await setDataSource(session, context.positionals[0]!, validateDataSourceInput(input));
				say(context, `Saved data source ${result.name}.`);
				return result;
			}),
	},
	{
		words: ['datasource', 'import'],
		summary: 'Bulk-load data sources from JSON lines on stdin',
		options: {...jsonOption},
		examples: ['rscm datasource import < datasources.jsonl'],
		run: async context =>
			withSession(context, async session => {
				let lineNumber = 0;
				// How far the committed batches reach: what a failure leaves imported (README, Commands).
				let imported = 0;
				let committedThroughLine = 0;
				async function* records() {
					for (;;) {
						// One line at a time, each up to its cap: an 800 MB line is refused after its first KiBs.
						const line = await readLine(context.io.stdin, {
							maxBytes: inputLimits.importLine,
							what: `Line ${lineNumber + 1}`,
							hint: `Each line is one JSON object of at most ${formatSize(inputLimits.importLine)}.`,
							signal: context.io.signal,
						});
						if (line === undefined) return;
						lineNumber++;
						if (line.trim() === '') continue;
						let record: unknown;
						try {
							record = JSON.parse(line);
						} catch {
							throw new RscmError('INVALID_INPUT', `Line ${lineNumber} is not valid JSON.`);
						}

						if (typeof record !== 'object' || record === null) throw new RscmError('INVALID_INPUT', `Line ${lineNumber} is not a JSON object.`);
						// Checked here as well as in the core, so the error names its line.
						try {
							validateDataSourceName((record as {name?: unknown}).name);
							validateDataSourceInput(record);
						} catch (error) {
							if (error instanceof RscmError) throw new RscmError(error.code, `Line ${lineNumber}: ${error.message}`, {hint: error.hint, field: error.field});
							throw error;
						}

						yield record as {name: string};
					}
				}

				let result;
				try {
					result = await importDataSources(session, records(), {
						onProgress: count => {
							imported = count;
							committedThroughLine = lineNumber;
						},
					});
				} catch (error) {
					if (!(error instanceof RscmError)) throw error;
					// Lines are validated before their batch commits: the batch holding the bad line writes nothing.
					const written =
						imported === 0
							? 'Nothing was imported.'
							: `The ${imported} data sources of lines 1 to ${committedThroughLine} were imported; nothing from line ${committedThroughLine + 1} on was written.`;
					throw new RscmError(error.code, `${error.message} ${written}`, {
						hint: imported === 0 ? error.hint : `${error.hint ? `${error.hint} ` : ''}Importing again is safe: a data source imported already is updated, not duplicated.`,
						field: error.field,
						cause: error,
					});
				}

				say(context, `Imported ${formatCount(result.imported)} data sources.`);
				return result;
			}),
	},
	{
		words: ['datasource', 'list'],
		summary: 'List data sources: which fields are set, which need re-entry',
		options: {...jsonOption},
		examples: ['rscm datasource list', 'rscm datasource list --json | jq -r \'.[] | select(.needsReentry) | .name\''],
		streamsJson: true,
		run: async context =>
			withSession(context, async session => {
				// Streamed a page at a time (a million data sources print with the memory of ten), so the table cannot
				// measure every name first: the name column is as wide as the longest name of the first page, at most
				// what leaves the table within 80 columns; a longer name ends in "…" (--json has every name whole).
				keepHeapSmall();
				const stdout = context.io.stdout;
				const json = context.json ? jsonArrayWriter(stdout) : undefined;
				let widths: number[] | undefined;
				await forEachDataSourcePage(session, async page => {
					if (context.io.signal.aborted) throw new RscmError('CANCELLED', 'Stopped listing data sources.');
					if (json) return json.write(page);
					const first = widths === undefined;
					widths ??= dataSourceListWidths(page.map(row => row.name));
					const lines = page.map(row => tableLine(widths!, [row.name, ...dataSourceFields.map(field => row.fields[field])]));
					return writeOrWait(stdout, (first ? tableLine(widths, dataSourceListHeader) : '') + lines.join(''));
				});
				if (json) await json.end();
				// No data source: the header alone, as before.
				else if (widths === undefined) await writeOrWait(stdout, tableLine(dataSourceListWidths([]), dataSourceListHeader));
				return undefined;
			}),
	},
	{
		words: ['datasource', 'show'],
		summary: 'Show the decrypted values of one data source (needs --reveal)',
		positionals: ['NAME'],
		options: {reveal: {type: 'boolean', description: 'Required: print secrets in clear.'}, ...jsonOption},
		examples: ['rscm datasource show Sales --reveal'],
		run: async context =>
			withSession(context, async session => {
				if (!context.values['reveal']) {
					throw new RscmError('USAGE', 'datasource show prints secrets in clear; add --reveal to confirm that is what you want.');
				}

				const result = await showDataSource(session, context.positionals[0]!);
				if (!context.json) {
					const lines = [`Name:              ${result.name}`];
					lines.push(`Connection string: ${result.connectionString ?? (result.needsReentry.includes('connectionString') ? '(needs re-entry)' : '(not set)')}`);
					lines.push(`User name:         ${result.username ?? (result.needsReentry.includes('username') ? '(needs re-entry)' : '(not set)')}`);
					lines.push(`Password:          ${result.password ?? (result.needsReentry.includes('password') ? '(needs re-entry)' : '(not set)')}`);
					say(context, lines.join('\n'));
				}

				return result;
			}),
	},
	{
		words: ['datasource', 'remove'],
		summary: 'Remove a data source and its stored values',
		positionals: ['NAME'],
		options: {...yesOption, ...jsonOption},
		examples: ['rscm datasource remove Sales', 'rscm datasource remove Sales --yes'],
		run: async context =>
			withSession(context, async session => {
				const name = context.positionals[0]!;
				await confirm(context.io, `Remove data source ${name} and its connection string, user name and password?`, context.values['yes'] === true);
				await removeDataSource(session, name);
				say(context, `Removed data source ${name}.`);
				return {removed: name};
			}),
	},
	{
		words: ['completion'],
		summary: 'Print the bash or zsh completion script for rscm',
		positionals: [completionShells.join('|')],
		options: {...jsonOption},
		examples: ['source <(rscm completion bash)   # in ~/.bashrc', 'rscm completion zsh > ~/.zfunc/_rscm   # with fpath=(~/.zfunc $fpath) in ~/.zshrc'],
		run: async context => {
			// Generated from this table when asked, so every command and option in it completes.
			const script = completionScript(context.positionals[0]!, commands);
			if (!context.json) context.io.stdout.write(script);
			return {shell: context.positionals[0], script};
		},
	},
];

export function findCommand(words: string[]): CommandSpec | undefined {
	// The longest match: `audit verify` is not `audit` with a stray word.
	const matches = commands.filter(command => command.words.every((word, index) => words[index] === word));
	return matches.sort((a, b) => b.words.length - a.words.length)[0];
}
