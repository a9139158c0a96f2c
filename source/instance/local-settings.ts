import {readFileSync} from 'node:fs';
import {chmod} from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';

/**
 * Settings that belong to one instance and stay on its machine (SSRS keeps them in rsreportserver.config): the
 * installation id, names, the catalog this instance uses, and the two URL reservations. No secret is kept here —
 * shared secrets live in the catalog, under the symmetric key.
 */
export type UrlSettings = {
	virtualDirectory: string;
	/** 'All Assigned', '127.0.0.1', '::1' or a specific address. */
	ipAddress: string;
	tcpPort: number;
	httpsPort: number | undefined;
	certificateFile: string | undefined;
};

export type LocalSettings = {
	installationId: string | undefined;
	machine: string | undefined;
	instanceName: string | undefined;
	/** The catalog chosen on the Database page; --catalog and RSCM_CATALOG override it. */
	catalog: string | undefined;
	webService: UrlSettings;
	webPortal: UrlSettings;
};

export const defaultWebServiceUrl: UrlSettings = {
	virtualDirectory: 'ReportServer',
	ipAddress: 'All Assigned',
	tcpPort: 80,
	httpsPort: undefined,
	certificateFile: undefined,
};

export const defaultWebPortalUrl: UrlSettings = {...defaultWebServiceUrl, virtualDirectory: 'Reports'};

export type LocalSettingsStore = {
	readonly path: string;
	get<K extends keyof LocalSettings>(key: K): LocalSettings[K];
	set(values: Partial<LocalSettings>): Promise<void>;
};

/**
 * Reads go straight to the JSON file, as conf itself does on every get (it keeps no cache); conf, with its schema
 * validator (ajv, fast-uri, semver: most of the code the Configuration Manager's first frame would otherwise load),
 * is loaded on the first write and writes the file as before: atomically, mode 0600.
 */
export function openLocalSettings(instanceDirectory: string): LocalSettingsStore {
	// conf's file: `${cwd}/${configName}.json`.
	const file = path.resolve(instanceDirectory, 'settings.json');
	let store: Promise<ConfStore> | undefined;
	const read = (): Record<string, unknown> => {
		let text: string;
		try {
			text = readFileSync(file, 'utf8');
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
			throw error;
		}

		// As conf reads it: JSON, a SyntaxError otherwise (conf's clearInvalidConfig is off).
		return JSON.parse(text) as Record<string, unknown>;
	};

	return {
		path: file,
		get(key) {
			const value = read()[key];
			if (key === 'webService') return {...defaultWebServiceUrl, ...(value as object)} as LocalSettings[typeof key];
			if (key === 'webPortal') return {...defaultWebPortalUrl, ...(value as object)} as LocalSettings[typeof key];
			return value as LocalSettings[typeof key];
		},
		async set(values) {
			store ??= openConf(instanceDirectory);
			const conf = await store;
			for (const [key, value] of Object.entries(values)) {
				if (value === undefined) conf.delete(key);
				else conf.set(key, value);
			}

			// conf applies the mode only when it creates the file; keep an older file private too.
			await chmod(conf.path, 0o600);
		},
	};
}

type ConfStore = {readonly path: string; set(key: string, value: unknown): void; delete(key: string): void};

const terminationSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

async function openConf(instanceDirectory: string): Promise<ConfStore> {
	// conf's atomic writer loads when-exit, which hooks Ctrl+C, SIGTERM and SIGHUP as it loads and re-raises them
	// (source/process/termination-signals.ts): loaded this late, after the entry claimed those signals, its hooks
	// are removed again so a key change still stops after its batch. when-exit keeps its clean-up on 'exit'.
	const before = new Map(terminationSignals.map(signal => [signal, new Set(process.listeners(signal))]));
	const {default: Conf} = await import('conf');
	for (const signal of terminationSignals) {
		for (const listener of process.listeners(signal)) {
			if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
		}
	}

	return new Conf<Record<string, unknown>>({
		cwd: instanceDirectory,
		configName: 'settings',
		configFileMode: 0o600,
		// The file is the admin's to read and edit; keep it readable.
		serialize: value => JSON.stringify(value, undefined, '\t') + '\n',
	});
}
