import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

/**
 * Runs the built programs (dist/cli.js, dist/rskeymgmt.js) as child processes, as a script or Ansible would: the
 * tests see exit codes, stdout and stderr exactly as users do. `npm test` builds dist/ before ava runs.
 */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = path.join(root, 'dist', 'cli.js');
export const rskeymgmtPath = path.join(root, 'dist', 'rskeymgmt.js');

export function assertBuilt(): void {
	for (const file of [cliPath, rskeymgmtPath]) {
		if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` before these tests.`);
	}
}

export type CliOptions = {
	/** Written to the child's stdin, which is then closed; without it stdin is /dev/null (not a terminal). */
	stdin?: string;
	/** Added to a clean environment (RSCM_* of the developer's shell are not inherited). */
	env?: Record<string, string | undefined>;
	bin?: 'rscm' | 'rskeymgmt';
	timeoutMs?: number;
	/** The working directory (the project's by default): where relative paths given to the command resolve. */
	cwd?: string;
};

export type CliResult = {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
};

function childEnvironment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {...process.env};
	for (const name of Object.keys(env)) if (name.startsWith('RSCM_')) delete env[name];
	delete env['NODE_OPTIONS'];
	for (const [name, value] of Object.entries(extra)) {
		if (value === undefined) delete env[name];
		else env[name] = value;
	}

	return env;
}

export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
	const child = spawn(process.execPath, [options.bin === 'rskeymgmt' ? rskeymgmtPath : cliPath, ...args], {
		cwd: options.cwd ?? root,
		env: childEnvironment(options.env),
		stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
	});
	if (options.stdin !== undefined) child.stdin!.end(options.stdin);
	return child;
}

/** Collects a spawned child's output until it exits. */
export async function collect(child: ChildProcess, timeoutMs = 60_000): Promise<CliResult> {
	let stdout = '';
	let stderr = '';
	child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
		stdout += chunk;
	});
	child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
		stderr += chunk;
	});
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`child ${child.spawnargs.join(' ')} did not exit within ${timeoutMs} ms\nstderr: ${stderr}`));
		}, timeoutMs);
		child.on('error', reject);
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			resolve({code, signal, stdout, stderr});
		});
	});
}

export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
	return collect(spawnCli(args, options), options.timeoutMs);
}

/** Parses stdout as the single JSON document `--json` promises; fails loudly with the output when it is not. */
export function parseJson<T = Record<string, unknown>>(result: CliResult): T {
	try {
		return JSON.parse(result.stdout) as T;
	} catch {
		throw new Error(`stdout is not one JSON document (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
	}
}

export type JsonError = {error: {code: string; message: string; hint?: string}};
