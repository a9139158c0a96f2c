import path from 'node:path';
import type {ExecutionContext} from 'ava';
import {runCli, type CliResult} from './run-cli.ts';
import {tempDirectory} from './temp-dir.ts';

/**
 * A deployment for the built program: a temp directory holding the SQLite catalog, instance directories (each a
 * subdirectory) and the XDG data and config homes, so that nothing reaches the developer's $HOME.
 */
export type CliDeployment = {
	root: string;
	/** The environment every instance shares: the catalog and the XDG homes (for `rscm --instance-dir DIR …`). */
	sharedEnv: SharedEnv;
	/** The environment that points rscm at this deployment, as instance `instance` (a subdirectory of root). */
	env(instance?: string): SharedEnv & {RSCM_INSTANCE_DIR: string};
	/** `rscm init --name NAME` for one instance (no --name: rscm's default), which must succeed; returns its result. */
	init(options?: {name?: string; instance?: string; args?: readonly string[]}): Promise<CliResult>;
};

type SharedEnv = {RSCM_CATALOG: string; XDG_DATA_HOME: string; XDG_CONFIG_HOME: string};

/** An empty deployment: nothing initialized yet. The directory's name is short, so paths fit an 80-column screen. */
export async function cliDeployment(t: ExecutionContext): Promise<CliDeployment> {
	const root = await tempDirectory(t, 'rd-');
	const sharedEnv = {
		RSCM_CATALOG: path.join(root, 'catalog.db'),
		XDG_DATA_HOME: path.join(root, 'data'),
		XDG_CONFIG_HOME: path.join(root, 'config'),
	};
	const env = (instance = 'inst') => ({...sharedEnv, RSCM_INSTANCE_DIR: path.join(root, instance)});
	return {
		root,
		sharedEnv,
		env,
		async init({name, instance, args = []} = {}) {
			const result = await runCli(['init', ...(name === undefined ? [] : ['--name', name]), ...args], {env: env(instance)});
			t.is(result.code, 0, result.stderr);
			return result;
		},
	};
}

/** A deployment whose instance `name` (in the default instance directory) created the catalog and its key. */
export async function initializedDeployment(t: ExecutionContext, name?: string): Promise<CliDeployment> {
	const deployment = await cliDeployment(t);
	await deployment.init({name});
	return deployment;
}
