import {RscmError} from '../errors.ts';
import {checkSize, inputLimits} from './input-limits.ts';

/**
 * The backup password policy of the SSRS Backup Encryption Key dialog: "at least 8 characters and include a
 * combination of uppercase and lowercase alphanumeric characters and at least one symbol character", the SSRS Backup dialog's rule.
 * Enforced on every backup, in the UI and in the commands; the strength estimate (password-strength.ts) only warns.
 *
 * Everything is measured on the NFC form, the same form the KDF receives: a password typed on a terminal that
 * sends decomposed characters (NFD, as macOS input methods can) is the same password, with the same length.
 */
export type PasswordRule = 'length' | 'uppercase' | 'lowercase' | 'symbol';

export type PasswordCheck = {rule: PasswordRule; label: string; met: boolean};

export type PasswordPolicyResult = {ok: boolean; checks: PasswordCheck[]; unmet: PasswordRule[]};

export const minimumPasswordLength = 8;
export const recommendedPasswordLength = 15;

/** The policy sentence, for hints and help text. */
export const passwordPolicyText =
	'The password must be at least 8 characters and include an uppercase letter, a lowercase letter and a symbol (any character that is not a letter or digit).';

type RuleDefinition = {rule: PasswordRule; label: string; missing: string; test: (password: string) => boolean};

const rules: readonly RuleDefinition[] = [
	{
		rule: 'length',
		label: 'At least 8 characters',
		missing: 'at least 8 characters',
		// Code points, not UTF-16 units: an emoji or a CJK extension character is one character to the person typing.
		test: password => [...password].length >= minimumPasswordLength,
	},
	{
		rule: 'uppercase',
		label: 'An uppercase letter',
		missing: 'an uppercase letter',
		// Titlecase letters (ǅ) count: they are the capital form in their script.
		test: password => /[\p{Lu}\p{Lt}]/u.test(password),
	},
	{
		rule: 'lowercase',
		label: 'A lowercase letter',
		missing: 'a lowercase letter',
		test: password => /\p{Ll}/u.test(password),
	},
	{
		rule: 'symbol',
		label: 'A symbol (not a letter or digit)',
		missing: 'a symbol (not a letter or digit)',
		// Anything that is not a letter or a number: punctuation, spaces, №, €, emoji. Combining marks (\p{M}) are
		// treated as part of the letter they modify: after NFC a mark only stays separate when no precomposed
		// character exists (q́, Devanagari vowel signs), and to the person typing that is still a letter, not a symbol.
		test: password => /[^\p{L}\p{M}\p{N}]/u.test(password),
	},
];

export function normalizePassword(password: string): string {
	return password.normalize('NFC');
}

export function checkPasswordPolicy(password: string): PasswordPolicyResult {
	const normalized = normalizePassword(password);
	const checks = rules.map(({rule, label, test}) => ({rule, label, met: test(normalized)}));
	const unmet = checks.filter(check => !check.met).map(check => check.rule);
	return {ok: unmet.length === 0, checks, unmet};
}

function listInWords(items: string[]): string {
	if (items.length <= 1) return items.join('');
	return `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`;
}

/**
 * Throws WEAK_PASSWORD naming every unmet rule (never the password), or PASSWORD_MISMATCH when a confirmation is
 * given and differs. The comparison is on NFC forms, because those are what the KDF sees: two inputs that
 * normalize alike are the same password.
 */
export function assertBackupPassword(password: string, confirm?: string): void {
	// Before the policy runs over it: the Backup dialog takes a paste, and a megabyte one is a mistake, not a password.
	checkSize(password, inputLimits.password, 'The password', 'password');
	const result = checkPasswordPolicy(password);
	if (!result.ok) {
		const missing = rules.filter(rule => result.unmet.includes(rule.rule)).map(rule => rule.missing);
		throw new RscmError('WEAK_PASSWORD', `The password does not meet the password policy: it needs ${listInWords(missing)}.`, {
			hint: passwordPolicyText,
		});
	}

	if (confirm !== undefined && normalizePassword(confirm) !== normalizePassword(password)) {
		throw new RscmError('PASSWORD_MISMATCH', 'Password and Confirm Password differ.', {
			hint: 'Type the same password in both fields.',
		});
	}
}
