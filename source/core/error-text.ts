import {internalHint, RscmError, toRscmError} from '../errors.ts';
import {displayText} from './terminal-text.ts';

/** The environment variable that adds the stack of an unexpected error to what is printed (README, RSCM_DEBUG). */
export function debugEnabled(env: NodeJS.ProcessEnv): boolean {
	const value = env['RSCM_DEBUG'];
	return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** The stack of an error and of its causes, for RSCM_DEBUG=1; core errors never carry secrets. */
export function debugStack(error: RscmError): string {
	const lines: string[] = [];
	// What toRscmError wrapped: the original's stack is the one that says where the bug is.
	let current: unknown = error.cause instanceof Error && !(error.cause instanceof RscmError) ? error.cause : error;
	for (let depth = 0; current !== undefined && depth < 5; depth++) {
		lines.push(depth === 0 ? '' : 'Caused by:');
		lines.push(current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current));
		current = current instanceof Error ? current.cause : undefined;
	}

	return lines.join('\n').trimStart() + '\n';
}

/**
 * The human form of an error, the same from every front end (the commands, rskeymgmt, the Configuration Manager
 * after it exits): `rscm: MESSAGE [CODE]` (`rskeymgmt: …` from rskeymgmt), then the hint on a line of its own.
 */
export function formatError(error: unknown, options: {debug?: boolean; program?: string | undefined} = {}): string {
	const rscmError = toRscmError(error);
	const hint = rscmError.hint ?? (rscmError.code === 'INTERNAL' ? internalHint : undefined);
	// Messages quote names and paths from the catalog, files and the command line: never print their control
	// characters. (JSON output needs nothing: JSON.stringify escapes C0 controls; the data stays as stored.)
	let text = `${options.program ?? 'rscm'}: ${displayText(rscmError.message, {keepLineBreaks: true})} [${rscmError.code}]\n`;
	if (hint) text += `${displayText(hint, {keepLineBreaks: true})}\n`;
	if (options.debug && rscmError.code === 'INTERNAL') text += debugStack(rscmError);
	return text;
}
