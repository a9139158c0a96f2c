import {RscmError} from './errors.ts';
import {checkSize, inputLimits} from './input-limits.ts';

/**
 * The backup password policy of the SSRS Backup Encryption Key dialog: "at least 8 characters and include a
 * combination of uppercase and lowercase alphanumeric characters and at least one symbol character", the SSRS Backup dialog's rule.
 * Enforced on every backup, in the UI and in the commands; the strength estimate below only warns.
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

// ---------------------------------------------------------------------------------------------------------------
// Strength estimate
//
// A small, self-contained estimator in the spirit of zxcvbn: the password is split into the cheapest sequence of
// guessable pieces (common words, possibly capitalized or in leetspeak; keyboard runs; sequences; repeats; years;
// digit runs; a trailing symbol), everything else is priced as random characters from the character classes
// present. The total, in bits, maps to a score. It exists to warn about the passwords attackers try first —
// `Password1!`, `P@ssw0rd123!`, `Summer2024!` — which the SSRS policy accepts. It never blocks.
// ---------------------------------------------------------------------------------------------------------------

export type PasswordStrengthLabel = 'very weak' | 'weak' | 'fair' | 'strong' | 'very strong';

export type PasswordStrength = {score: 0 | 1 | 2 | 3 | 4; label: PasswordStrengthLabel; warnings: string[]};

const strengthLabels: readonly PasswordStrengthLabel[] = ['very weak', 'weak', 'fair', 'strong', 'very strong'];

/** Bits at which each score starts (score 1 from 25 bits, …, score 4 from 80 bits). */
const scoreThresholds = [25, 40, 60, 80] as const;

/** Beyond this many characters the estimate looks at the start only; such passwords are long enough anyway. */
const maximumAnalyzedLength = 256;

/**
 * Base words attackers put first in their lists: the classics, words from this product's world (an admin backing up
 * a report server key), company-ish words, seasons, months and days. Lowercase ASCII; matched after undoing
 * leetspeak and case.
 */
const commonWords: readonly string[] = [
	// Classics from leaked-password lists.
	'password', 'passwort', 'passwd', 'pass', 'welcome', 'letmein', 'qwerty', 'admin', 'administrator', 'root', 'login',
	'secret', 'changeme', 'default', 'master', 'access', 'guest', 'test', 'testing', 'temp', 'iloveyou', 'love',
	'sunshine', 'dragon', 'monkey', 'football', 'baseball', 'soccer', 'princess', 'shadow', 'superman', 'batman',
	'hello', 'freedom', 'whatever', 'trustno', 'starwars', 'pokemon', 'computer', 'internet', 'abc', 'god',
	// This product's world.
	'report', 'reports', 'reporting', 'reportserver', 'server', 'sqlserver', 'sql', 'ssrs', 'database', 'backup',
	'encryption', 'key', 'keys', 'service', 'account', 'system', 'sysadmin', 'dbadmin', 'windows', 'microsoft',
	'azure', 'cloud', 'powerbi', 'user', 'manager', 'support', 'helpdesk', 'network', 'security', 'office',
	// Company-ish words and the sample companies everyone has typed once.
	'company', 'corp', 'corporate', 'business', 'enterprise', 'finance', 'sales', 'contoso', 'fabrikam',
	'adventureworks', 'northwind', 'tailspin', 'litware',
	// Seasons, months, days.
	'spring', 'summer', 'autumn', 'fall', 'winter', 'january', 'february', 'march', 'april', 'may', 'june', 'july',
	'august', 'september', 'october', 'november', 'december', 'monday', 'tuesday', 'wednesday', 'thursday',
	'friday', 'saturday', 'sunday',
];

/** Guessing a word from the list costs about log2(list size) bits; the order within the list is not modelled. */
const wordBits = Math.log2(commonWords.length);

/** Leetspeak substitutions, undone before the word lookup. `1`, `!` and `|` stand for i or l: two readings. */
const leetCommon: Readonly<Record<string, string>> = {
	'@': 'a', '4': 'a', '8': 'b', '(': 'c', '3': 'e', '6': 'g', '9': 'g', '#': 'h', '0': 'o', '$': 's', '5': 's',
	'7': 't', '+': 't', '2': 'z',
};
const leetAmbiguous = ['1', '!', '|'];

const keyboardRows: readonly string[] = [
	'`1234567890-=', 'qwertyuiop[]\\', "asdfghjkl;'", 'zxcvbnm,./',
	'~!@#$%^&*()_+', 'qwertyuiop{}|', 'asdfghjkl:"', 'zxcvbnm<>?',
	// Columns, the other favourite walk.
	'1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/', 'qazwsxedcrfvtgbyhnujmikolp',
	// AZERTY and QWERTZ rows.
	'azertyuiop', 'qsdfghjklm', 'wxcvbn', 'qwertzuiop', 'yxcvbnm',
];

const trailingSymbols = new Set(['!', '@', '#', '$', '%', '&', '*', '?', '.', '+', '-', '_', '=', '~']);

type PatternKind = 'word' | 'keyboard' | 'sequence' | 'repeat' | 'year' | 'digits' | 'trailing-symbol' | 'random';

type Piece = {kind: PatternKind; start: number; end: number; bits: number; leet: boolean};

function poolSize(characters: string[]): number {
	let lower = false;
	let upper = false;
	let digit = false;
	let asciiSymbol = false;
	let other = false;
	for (const character of characters) {
		if (/^[a-z]$/.test(character)) lower = true;
		else if (/^[A-Z]$/.test(character)) upper = true;
		else if (/^\d$/.test(character)) digit = true;
		else if (/^[\x20-\x7e]$/.test(character)) asciiSymbol = true;
		else other = true;
	}

	// "Other" is a rough stand-in for the letters of another script plus non-ASCII symbols.
	return (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (asciiSymbol ? 33 : 0) + (other ? 100 : 0) || 1;
}

function lowerCodePoint(character: string): string {
	const lower = character.toLowerCase();
	// Keep positions aligned: a character whose lowercase form is longer (İ) stays as it is.
	return [...lower].length === 1 ? lower : character;
}

function capitalizationBits(original: string[]): number {
	const uppercase = original.filter(character => /\p{Lu}/u.test(character)).length;
	if (uppercase === 0) return 0;
	const firstOnly = uppercase === 1 && /\p{Lu}/u.test(original[0] ?? '');
	if (firstOnly || uppercase === original.length) return 1;
	return uppercase;
}

function wordPieces(original: string[], lowered: string[]): Piece[] {
	const readings = ['i', 'l'].map(ambiguous =>
		lowered.map(character => leetCommon[character] ?? (leetAmbiguous.includes(character) ? ambiguous : character)),
	);
	const pieces: Piece[] = [];
	for (let start = 0; start < lowered.length; start++) {
		for (const word of commonWords) {
			const end = start + word.length;
			if (end > lowered.length) continue;
			const matches = readings.some(reading => reading.slice(start, end).join('') === word);
			if (!matches) continue;
			const substituted = lowered.slice(start, end).filter((character, index) => character !== word[index]).length;
			pieces.push({
				kind: 'word',
				start,
				end,
				bits: wordBits + capitalizationBits(original.slice(start, end)) + substituted,
				leet: substituted > 0,
			});
		}
	}

	return pieces;
}

function keyboardPieces(lowered: string[]): Piece[] {
	const pieces: Piece[] = [];
	const walks = keyboardRows.flatMap(row => [row, [...row].reverse().join('')]);
	for (let start = 0; start < lowered.length; start++) {
		for (const walk of walks) {
			let end = start;
			let position = walk.indexOf(lowered[start] ?? '');
			if (position < 0) continue;
			end++;
			while (end < lowered.length && walk[position + 1] === lowered[end]) {
				position++;
				end++;
			}

			for (let length = 4; length <= end - start; length++) {
				pieces.push({kind: 'keyboard', start, end: start + length, bits: 5 + Math.log2(length), leet: false});
			}
		}
	}

	return pieces;
}

function sameClass(a: string, b: string): boolean {
	return (/\d/.test(a) && /\d/.test(b)) || (/\p{Ll}/u.test(a) && /\p{Ll}/u.test(b)) || (/\p{Lu}/u.test(a) && /\p{Lu}/u.test(b));
}

function sequencePieces(characters: string[]): Piece[] {
	const pieces: Piece[] = [];
	for (let start = 0; start + 2 < characters.length; start++) {
		for (const step of [1, -1]) {
			let end = start + 1;
			while (
				end < characters.length &&
				sameClass(characters[end - 1] ?? '', characters[end] ?? '') &&
				(characters[end]?.codePointAt(0) ?? 0) - (characters[end - 1]?.codePointAt(0) ?? 0) === step
			) {
				end++;
			}

			for (let length = 3; length <= end - start; length++) {
				pieces.push({kind: 'sequence', start, end: start + length, bits: 4 + Math.log2(length), leet: false});
			}
		}
	}

	return pieces;
}

function repeatPieces(characters: string[], randomBits: number): Piece[] {
	const pieces: Piece[] = [];
	for (let start = 0; start < characters.length; start++) {
		let end = start + 1;
		while (end < characters.length && characters[end] === characters[start]) end++;
		for (let length = 3; length <= end - start; length++) {
			pieces.push({kind: 'repeat', start, end: start + length, bits: randomBits + Math.log2(length), leet: false});
		}
	}

	return pieces;
}

function digitPieces(characters: string[]): Piece[] {
	const pieces: Piece[] = [];
	for (let start = 0; start < characters.length; start++) {
		for (let end = start; end < characters.length && /^\d$/.test(characters[end] ?? ''); end++) {
			const text = characters.slice(start, end + 1).join('');
			pieces.push({kind: 'digits', start, end: end + 1, bits: text.length * Math.log2(10), leet: false});
			if (/^(?:19|20)\d\d$/.test(text)) {
				pieces.push({kind: 'year', start, end: end + 1, bits: Math.log2(200), leet: false});
			}
		}
	}

	return pieces;
}

/** Cheapest split of the password into pieces (dynamic programming over positions). */
function cheapestPieces(characters: string[]): {bits: number; pieces: Piece[]} {
	const length = characters.length;
	const randomBits = Math.log2(poolSize(characters));
	const lowered = characters.map(character => lowerCodePoint(character));
	const candidates = [
		...wordPieces(characters, lowered),
		...keyboardPieces(lowered),
		...sequencePieces(characters),
		...repeatPieces(characters, randomBits),
		...digitPieces(characters),
	];
	const last = characters.at(-1);
	if (length > 1 && last !== undefined && trailingSymbols.has(last)) {
		// Attackers append !, ., @ … before anything else: a handful of choices.
		candidates.push({kind: 'trailing-symbol', start: length - 1, end: length, bits: 3, leet: false});
	}

	const byStart = new Map<number, Piece[]>();
	for (const piece of candidates) byStart.set(piece.start, [...(byStart.get(piece.start) ?? []), piece]);

	const best: number[] = Array.from({length: length + 1}, () => Number.POSITIVE_INFINITY);
	const via: Array<Piece | undefined> = Array.from({length: length + 1}, () => undefined);
	best[0] = 0;
	for (let start = 0; start < length; start++) {
		const here = best[start] ?? Number.POSITIVE_INFINITY;
		const options = [{kind: 'random' as const, start, end: start + 1, bits: randomBits, leet: false}, ...(byStart.get(start) ?? [])];
		for (const piece of options) {
			if (here + piece.bits < (best[piece.end] ?? Number.POSITIVE_INFINITY)) {
				best[piece.end] = here + piece.bits;
				via[piece.end] = piece;
			}
		}
	}

	const pieces: Piece[] = [];
	for (let position = length; position > 0; ) {
		const piece = via[position];
		if (piece === undefined) break;
		pieces.unshift(piece);
		position = piece.start;
	}

	return {bits: best[length] ?? 0, pieces};
}

export function estimatePasswordStrength(password: string): PasswordStrength {
	const all = [...normalizePassword(password)];
	const characters = all.slice(0, maximumAnalyzedLength);
	const {bits, pieces} = cheapestPieces(characters);
	const kinds = new Set(pieces.map(piece => piece.kind));

	// Warnings say which habit makes the password guessable; they never quote any part of it (it may be on screen).
	const warnings: string[] = [];
	if (kinds.has('word')) {
		warnings.push('It is built on a common word (such as password, welcome, admin, a month or a season) that attackers try first.');
	}

	if (pieces.some(piece => piece.kind === 'word' && piece.leet)) {
		warnings.push('Swapping letters for look-alikes (@ for a, 0 for o, 3 for e) does not fool password crackers.');
	}

	const firstWord = pieces.findIndex(piece => piece.kind === 'word');
	const tail = firstWord < 0 ? [] : pieces.slice(firstWord + 1);
	const tailIsDigitsAndSymbol =
		tail.length > 0 &&
		tail.every(piece => ['digits', 'year', 'sequence', 'trailing-symbol'].includes(piece.kind) || (piece.kind === 'random' && !/\p{L}/u.test(characters[piece.start] ?? '')));
	if (tailIsDigitsAndSymbol) {
		warnings.push('Digits, a year or a symbol added at the end of a word (as in Password1!) is the first variation attackers try.');
	} else if (kinds.has('year')) {
		warnings.push('Years are easy to guess.');
	}

	if (kinds.has('keyboard')) warnings.push('Keyboard walks such as qwerty or asdf are easy to guess.');
	if (kinds.has('sequence')) warnings.push('Sequences such as abcd or 1234 are easy to guess.');
	if (kinds.has('repeat')) warnings.push('Repeated characters such as aaa add little strength.');

	if (all.length < recommendedPasswordLength) {
		warnings.push(`Use ${recommendedPasswordLength} or more characters: a few unrelated words make a long password that is still easy to type.`);
	}

	let score = scoreThresholds.filter(threshold => bits >= threshold).length as 0 | 1 | 2 | 3 | 4;
	// "Very strong" next to "use 15 or more characters" would contradict itself.
	if (score === 4 && all.length < recommendedPasswordLength) score = 3;
	return {score, label: strengthLabels[score] ?? 'very weak', warnings};
}
