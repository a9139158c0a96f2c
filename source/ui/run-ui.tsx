import process from 'node:process';
import type React from 'react';
import {render, type Instance} from 'ink';
import {isRscmError} from '../core/errors.ts';
import App, {type ShellTitle} from './app.tsx';
import {UiLifecycle, type ExitReason} from './lifecycle.ts';
import type {PageDefinition} from './page-types.ts';
import {assertInteractiveTerminal, openTerminalSession} from './terminal.ts';

export type RunUiOptions = {
	pages: readonly PageDefinition[];
	title: ShellTitle;
	initialPage?: string;
	/** Start with the focus inside the initial page (first run) instead of on the list. */
	initialFocus?: 'list' | 'page';
	/** Wraps the shell in the caller's providers (the core session the pages read); the shell stays core-free. */
	wrap?: (app: React.ReactElement) => React.ReactNode;
};

/**
 * Exit codes. Quitting, by `q` or by Ctrl+C (the documented quit key), is a success; a signal gives the shell
 * convention 128 + signal number so a supervisor can tell the UI was stopped from outside.
 */
const exitCodes: Record<ExitReason, number> = {quit: 0, interrupt: 0, SIGTERM: 143, SIGHUP: 129};

function describe(error: unknown): string {
	if (isRscmError(error)) return `rscm: ${error.message}${error.hint === undefined ? '' : `\n${error.hint}`} (${error.code})\n`;
	// An unexpected error is a bug: its stack is what a bug report needs. Core errors never carry secrets.
	if (error instanceof Error) return `rscm: unexpected error: ${error.stack ?? error.message}\n`;
	return `rscm: unexpected error: ${String(error)}\n`;
}

/**
 * Runs the Configuration Manager until the user quits; resolves with the process exit code. The terminal is
 * restored on every way out: `q`, Ctrl+C (after the pages' clean-ups), SIGTERM, SIGHUP, SIGINT and a crash. On an
 * uncaught exception or unhandled rejection the state of the program is unknown, so after restoring the screen
 * and printing the error it exits at once with code 1.
 *
 * Call it only on a terminal; `assertInteractiveTerminal()` says why not otherwise.
 */
export async function runUi(options: RunUiOptions): Promise<number> {
	const {stdin, stdout, stderr} = process;
	assertInteractiveTerminal(stdin, stdout);

	let instance: Instance | undefined;
	let exitCode = 0;
	const session = openTerminalSession(stdin, stdout);
	const lifecycle = new UiLifecycle({
		onStop(reason) {
			exitCode = exitCodes[reason];
			instance?.unmount();
		},
	});

	const onSigterm = () => lifecycle.requestExit('SIGTERM');
	const onSighup = () => lifecycle.requestExit('SIGHUP');
	const onSigint = () => lifecycle.requestExit('interrupt');
	// A write to a terminal that went away fails with EIO/EPIPE: treat it as the hang-up it is, so the clean-ups
	// still run, instead of letting the stream error crash the process mid-batch.
	const onStreamError = () => lifecycle.requestExit('SIGHUP');
	const onFatal = (error: unknown) => {
		removeHandlers();
		try {
			instance?.unmount();
		} catch {
			// Already broken; the restore below is what matters.
		}

		session.restore();
		try {
			stderr.write(describe(error));
		} catch {
			// No terminal left to print to.
		}

		process.exit(1);
	};

	const onProcessExit = () => session.restore();
	function removeHandlers() {
		process.off('SIGTERM', onSigterm);
		process.off('SIGHUP', onSighup);
		process.off('SIGINT', onSigint);
		process.off('uncaughtException', onFatal);
		process.off('unhandledRejection', onFatal);
		process.off('exit', onProcessExit);
		stdout.off('error', onStreamError);
	}

	process.on('SIGTERM', onSigterm);
	process.on('SIGHUP', onSighup);
	process.on('SIGINT', onSigint);
	process.on('uncaughtException', onFatal);
	process.on('unhandledRejection', onFatal);
	// Last resort: something called process.exit() while the UI was up.
	process.on('exit', onProcessExit);
	stdout.on('error', onStreamError);

	let failure: unknown;
	try {
		const app = (
			<App
				pages={options.pages}
				title={options.title}
				initialPage={options.initialPage}
				initialFocus={options.initialFocus}
				lifecycle={lifecycle}
			/>
		);
		instance = render(
			options.wrap === undefined ? app : options.wrap(app),
			// Ctrl+C is ours: pages clean up before the exit (Ink's own handler would unmount at once).
			{stdin, stdout, stderr, exitOnCtrlC: false},
		);
		await instance.waitUntilExit();
	} catch (error) {
		// A render error: Ink's error boundary unmounted the app and rejected.
		failure = error;
	} finally {
		removeHandlers();
		session.restore();
	}

	if (failure !== undefined) {
		stderr.write(describe(failure));
		return 1;
	}

	return exitCode;
}
