import process from 'node:process';
import type React from 'react';
import {render, type Instance} from 'ink';
import {debugEnabled, formatError} from '../core/error-text.ts';
import {signalExitCode} from '../process/termination-signals.ts';
import {RscmError} from '../errors.ts';
import App, {type ShellTitle} from './app.tsx';
import {asciiOutput} from './ascii-output.ts';
import type {Charset} from './charset.ts';
import {CharsetContext} from './contexts/charset-context.ts';
import {UiLifecycle, type ExitReason, type StopOutcome} from './lifecycle.ts';
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
	/** Unicode or plain ASCII (charset.ts); Unicode by default. */
	charset?: Charset;
	/** Ink's screen-reader output: a linear, labelled reading instead of the drawn screen. */
	screenReader?: boolean;
};

/**
 * Exit codes (README, Output and exit codes). Quitting, by `q` or by Ctrl+C (the documented quit key), is a success;
 * a Ctrl+C that stopped a running operation (a key change, after its batch) exits 130 like the commands; a signal
 * gives the shell convention 128 + signal number so a supervisor can tell the UI was stopped from outside.
 */
function exitCodeFor(reason: ExitReason, outcome: StopOutcome): number {
	switch (reason) {
		case 'quit':
			return 0;
		case 'interrupt':
			return outcome.stopped.length > 0 || outcome.unfinished > 0 ? signalExitCode('SIGINT') : 0;
		default:
			return signalExitCode(reason);
	}
}

/** Printed when the exit did not wait for an operation to finish its step (a second Ctrl+C, the time limit). */
const stoppedAtOnce = new RscmError('CANCELLED', 'Stopped at once; the step under way was not finished.', {
	hint: 'A key change resumes when run again.',
});

function describe(error: unknown): string {
	// The commands' format: `rscm: MESSAGE [CODE]` and the hint; an unexpected error is one line (INTERNAL), its
	// stack only with RSCM_DEBUG=1.
	return formatError(error, {debug: debugEnabled(process.env)});
}

function writeQuietly(stream: NodeJS.WriteStream, text: string): void {
	try {
		stream.write(text);
	} catch {
		// No terminal left to print to (a hang-up).
	}
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
	const {stdin} = process;
	assertInteractiveTerminal(stdin, process.stdout);
	const charset = options.charset ?? 'unicode';
	// In ASCII mode everything written to the terminal passes the transliteration, the error printed on exit too.
	const stdout = charset === 'ascii' ? asciiOutput(process.stdout) : process.stdout;
	const stderr = charset === 'ascii' ? asciiOutput(process.stderr) : process.stderr;

	let instance: Instance | undefined;
	let exitCode = 0;
	let stopOutcome: StopOutcome = {stopped: [], unfinished: 0};
	const session = openTerminalSession(stdin, stdout);
	const lifecycle = new UiLifecycle({
		onStop(reason, outcome) {
			exitCode = exitCodeFor(reason, outcome);
			stopOutcome = outcome;
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
		writeQuietly(stderr, describe(error));
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
	// In front of the entry's own handlers (cli.tsx), which would print before the screen is restored.
	process.prependListener('uncaughtException', onFatal);
	process.prependListener('unhandledRejection', onFatal);
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
			<CharsetContext.Provider value={charset}>{options.wrap === undefined ? app : options.wrap(app)}</CharsetContext.Provider>,
			// Ctrl+C is ours: pages clean up before the exit (Ink's own handler would unmount at once).
			{stdin, stdout, stderr, exitOnCtrlC: false, isScreenReaderEnabled: options.screenReader},
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
		writeQuietly(stderr, describe(failure));
		return 1;
	}

	// On the restored screen, what the exit stopped, in the words the commands use: `rscm: Key change stopped
	// after N of M values. [CANCELLED]` and how to resume it.
	for (const stopped of stopOutcome.stopped) writeQuietly(stderr, describe(stopped));
	if (stopOutcome.unfinished > 0) {
		writeQuietly(stderr, describe(stoppedAtOnce));
		// The operation is still under way and would run on unseen: leave now (every step is atomic, see lifecycle.ts).
		process.exit(exitCode);
	}

	return exitCode;
}
