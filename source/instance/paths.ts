import os from 'node:os';
import path from 'node:path';

/**
 * Default locations, following the XDG base directory convention that Linux admins expect:
 *   catalog:       $XDG_DATA_HOME/rscm/catalog.db   (~/.local/share/rscm/catalog.db)
 *   instance dir:  $XDG_CONFIG_HOME/rscm            (~/.config/rscm): identity key and local settings
 */
export function defaultDataDirectory(env: NodeJS.ProcessEnv = process.env): string {
	return path.join(env['XDG_DATA_HOME'] || path.join(os.homedir(), '.local', 'share'), 'rscm');
}

export function defaultInstanceDirectory(env: NodeJS.ProcessEnv = process.env): string {
	return path.join(env['XDG_CONFIG_HOME'] || path.join(os.homedir(), '.config'), 'rscm');
}

export function defaultCatalogLocation(env: NodeJS.ProcessEnv = process.env): string {
	return path.join(defaultDataDirectory(env), 'catalog.db');
}

