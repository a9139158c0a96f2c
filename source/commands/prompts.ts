import {readFile} from 'node:fs/promises';
import {RscmError} from '../core/errors.ts';
import {displayText} from '../core/terminal-text.ts';
import {fileError} from '../files/file-error.ts';
import {stdinIsTerminal, type CommandIo} from './command-io.ts';
import {readLine} from './stdin-lines.ts';

export type PasswordSource = {
	passwordStdin?: boolean | undefined;
	passwordFile?: string | undefined;
};

/**
 * A password from the first line of stdin, the first line of a file, or a no-echo prompt on a terminal — never
 * from argv, where `ps` and shell history would show it to everyone.
 */
export async function readPassword(io: CommandIo, source: PasswordSource, prompt: string, confirmPrompt?: string): Promise<{password: string; confirm: string | undefined}> {
	if (source.passwordStdin) {
		const line = await readLine(io.stdin);
		if (line === undefined) throw new RscmError('USAGE', '--password-stdin was given but stdin is empty.');
		return {password: line, confirm: undefined};
	}

	if (source.passwordFile) {
		let text: string;
		try {
			text = await readFile(source.passwordFile, 'utf8');
		} catch (error) {
			throw fileError(error, source.passwordFile, 'read');
		}

		return {password: text.split(/\r?\n/, 1)[0] ?? '', confirm: undefined};
	}

	if (!stdinIsTerminal(io)) {
		throw new RscmError('USAGE', 'A password is needed: stdin is not a terminal, so give --password-stdin or --password-file PATH.');
	}

	const password = await promptHidden(io, prompt);
	const confirm = confirmPrompt === undefined ? undefined : await promptHidden(io, confirmPrompt);
	return {password, confirm};
}

/** Reads one line from the terminal in raw mode, echoing nothing (not even asterisks: the length is a secret too). */
export async function promptHidden(io: CommandIo, prompt: string): Promise<string> {
	io.stderr.write(prompt);
	const stdin = io.stdin;
	stdin.setRawMode?.(true);
	stdin.resume();
	return new Promise((resolve, reject) => {
		let value = '';
		const finish = (error?: Error) => {
			stdin.off('data', onData);
			stdin.setRawMode?.(false);
			stdin.pause();
			io.stderr.write('\n');
			if (error) reject(error);
			else resolve(value);
		};

		const onData = (chunk: Buffer | string) => {
			for (const character of chunk.toString('utf8')) {
				if (character === '\r' || character === '\n') return finish();
				if (character === '\u0003') return finish(new RscmError('CANCELLED', 'Cancelled.'));
				if (character === '\u007f' || character === '\b') value = [...value].slice(0, -1).join('');
				else if (character >= ' ') value += character;
			}
		};

		stdin.on('data', onData);
	});
}

/**
 * Destructive commands ask on a terminal and need --yes otherwise, so a script never destroys anything by
 * accident and a human is never surprised.
 */
export async function confirm(io: CommandIo, question: string, yes: boolean | undefined): Promise<void> {
	if (yes) return;
	if (!stdinIsTerminal(io)) {
		throw new RscmError('CONFIRMATION_REQUIRED', `${question} Refused: stdin is not a terminal.`, {hint: 'Pass --yes to confirm.'});
	}

	// The question names the instance at stake, which comes from the catalog.
	io.stderr.write(`${displayText(question, {keepLineBreaks: true})} [y/N] `);
	const answer = (await readLine(io.stdin)) ?? '';
	if (!/^y(es)?$/i.test(answer.trim())) throw new RscmError('CANCELLED', 'Nothing was changed.');
}
