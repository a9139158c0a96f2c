// What the pseudo-terminal measurements of `npm run bench` share (start-up, typing, pages): the environment a
// measured program starts in, and the screen as a person sees it.
import process from 'node:process';
import type xterm from '@xterm/headless';

/**
 * The bench's own environment for a program in the pty, without what would change how it draws: Ink draws only the
 * last frame when it believes it runs in CI, and colour settings are left to the program.
 */
export function ptyEnvironment(extra: Record<string, string>): Record<string, string> {
	const env: Record<string, string | undefined> = {...process.env};
	for (const name of ['CI', 'CONTINUOUS_INTEGRATION', 'NO_COLOR', 'FORCE_COLOR', 'NODE_OPTIONS']) delete env[name];
	return Object.fromEntries(
		Object.entries({...env, TERM: 'xterm-256color', ...extra}).filter((entry): entry is [string, string] => entry[1] !== undefined),
	);
}

/** The rows of the headless terminal's visible screen, as text, joined by newlines. */
export function screenText(terminal: xterm.Terminal): string {
	const buffer = terminal.buffer.active;
	const lines: string[] = [];
	for (let row = 0; row < terminal.rows; row++) lines.push(buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? '');
	return lines.join('\n');
}
