import Conf from 'conf';
import {chmod} from 'node:fs/promises';

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

export function openLocalSettings(instanceDirectory: string): LocalSettingsStore {
	const store = new Conf<Record<string, unknown>>({
		cwd: instanceDirectory,
		configName: 'settings',
		configFileMode: 0o600,
		// The file is the admin's to read and edit; keep it readable.
		serialize: value => JSON.stringify(value, undefined, '\t') + '\n',
	});
	return {
		path: store.path,
		get(key) {
			const value = store.get(key);
			if (key === 'webService') return {...defaultWebServiceUrl, ...(value as object)} as LocalSettings[typeof key];
			if (key === 'webPortal') return {...defaultWebPortalUrl, ...(value as object)} as LocalSettings[typeof key];
			return value as LocalSettings[typeof key];
		},
		async set(values) {
			for (const [key, value] of Object.entries(values)) {
				if (value === undefined) store.delete(key);
				else store.set(key, value);
			}

			// conf applies the mode only when it creates the file; keep an older file private too.
			await chmod(store.path, 0o600);
		},
	};
}
