import {RscmError} from '../errors.ts';

/**
 * The size caps on what rscm reads from users and scripts (README, Commands), in UTF-8 bytes. Each is far above
 * any legitimate value and far below what could exhaust memory: a hostile or mistaken input (a password file that
 * is /dev/zero, an 800 MB line on stdin) is refused with INPUT_TOO_LARGE after at most the cap plus one read.
 */
export const inputLimits = {
	/** A password from the no-echo prompt, --password-stdin or --password-file (its first line). */
	password: 1024,
	/**
	 * The values of a data source. SQL Server logins and Windows passwords are at most 128 and 256 characters, but a
	 * data source password may be a token (an OAuth access token is a few KiB), and a connection string with every
	 * option spelled out is a few KiB: each cap leaves a wide margin.
	 */
	dataSource: {connectionString: 64 * 1024, username: 4 * 1024, password: 16 * 1024},
	/** One line of `rscm datasource import` (the name and the three values, JSON-escaped). */
	importLine: 256 * 1024,
	/** The JSON document `rscm datasource set` reads from stdin. */
	dataSourceJson: 256 * 1024,
	/** A shared setting's password (E-mail Settings, Execution Account, file share account). */
	settingPassword: 16 * 1024,
	/** A shared setting's user name or account (DOMAIN\user, user@domain). */
	settingAccount: 4 * 1024,
} as const;

/** `1024` → "1,024 bytes", `65536` → "64 KiB": the words the README uses for each cap. */
export function formatSize(bytes: number): string {
	if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
	if (bytes > 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
	return `${bytes.toLocaleString('en-US')} bytes`;
}

/** The UTF-8 size of a string, without encoding one that is obviously over the cap. */
export function exceedsBytes(value: string, cap: number): boolean {
	// Every UTF-16 code unit takes at least one UTF-8 byte, and at most three.
	if (value.length > cap) return true;
	if (value.length * 3 <= cap) return false;
	return Buffer.byteLength(value, 'utf8') > cap;
}

export function inputTooLarge(what: string, cap: number, options: {field?: string | undefined; hint?: string | undefined} = {}): RscmError {
	return new RscmError('INPUT_TOO_LARGE', `${what} is over the limit of ${formatSize(cap)}.`, {
		field: options.field,
		hint: options.hint ?? 'The limits are listed in the README (Commands).',
	});
}

/** Throws INPUT_TOO_LARGE naming `what` (and `field`, for a form) when a value is over its cap. */
export function checkSize(value: string, cap: number, what: string, field?: string): void {
	if (exceedsBytes(value, cap)) throw inputTooLarge(what, cap, {field});
}
