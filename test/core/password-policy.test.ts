import {randomBytes} from 'node:crypto';
import test from 'ava';
import {isRscmError} from '../../source/errors.ts';
import {
	assertBackupPassword,
	checkPasswordPolicy,
	normalizePassword,
	type PasswordRule,
} from '../../source/core/password-policy.ts';
import {estimateInThread, estimatePasswordStrength, loadedPasswordStrength, loadPasswordStrength, strengthInputLimit} from '../../source/core/password-strength.ts';

test('the checklist lists the four rules in order with their labels', t => {
	const result = checkPasswordPolicy('');
	t.deepEqual(
		result.checks.map(check => [check.rule, check.label]),
		[
			['length', 'At least 8 characters'],
			['uppercase', 'An uppercase letter'],
			['lowercase', 'A lowercase letter'],
			['symbol', 'A symbol (not a letter or digit)'],
		],
	);
	t.false(result.ok);
	t.deepEqual(result.unmet, ['length', 'uppercase', 'lowercase', 'symbol']);
});

const missingOne: Array<[string, PasswordRule]> = [
	['Ab1-xyz', 'length'],
	['Ä-ü', 'length'],
	['lower-case-1', 'uppercase'],
	['straße#größe', 'uppercase'],
	['UPPER-CASE-1', 'lowercase'],
	['ÄÖÜ-ÉÈÊ-1', 'lowercase'],
	['NoSymbolHere1', 'symbol'],
	['Ünïcødé1Paß', 'symbol'],
	['ПарольОдин', 'symbol'],
];

for (const [password, rule] of missingOne) {
	test(`${JSON.stringify(password)} misses only the "${rule}" rule`, t => {
		const result = checkPasswordPolicy(password);
		t.false(result.ok);
		t.deepEqual(result.unmet, [rule]);
		t.deepEqual(
			result.checks.filter(check => !check.met).map(check => check.rule),
			[rule],
		);
	});
}

for (const password of ['Password1!', 'Ünïcødé-Paß1', 'Пароль№Один', 'Ab cdefgh', 'ǅemal-abcd', 'Aé€ßøπ中文x', 'Tab\tTabby', 'Emoji🔑key']) {
	test(`a compliant password passes every rule: ${JSON.stringify(password)}`, t => {
		const result = checkPasswordPolicy(password);
		t.true(result.ok, JSON.stringify(result.unmet));
		t.deepEqual(result.unmet, []);
		t.notThrows(() => assertBackupPassword(password));
		t.notThrows(() => assertBackupPassword(password, password));
	});
}

test('spaces and non-ASCII signs count as symbols; digits and letters of any script do not', t => {
	t.true(checkPasswordPolicy('Abcdefg h').ok);
	t.true(checkPasswordPolicy('Abcdefg№').ok);
	t.deepEqual(checkPasswordPolicy('Abcdefg٣').unmet, ['symbol']); // Arabic-Indic digit three
	t.deepEqual(checkPasswordPolicy('Abcdefgλ').unmet, ['symbol']);
	// A combining mark stays part of its letter (q + U+0301 has no precomposed form).
	t.deepEqual(checkPasswordPolicy('Aq\u0301bcdefg').unmet, ['symbol']);
});

test('length counts code points after NFC, so NFC and NFD forms of a password count the same', t => {
	const nfc = 'Ünïcé-1'; // 7 code points in NFC, 10 in NFD
	const nfd = nfc.normalize('NFD');
	t.not(nfc, nfd);
	t.is([...nfd].length, 10);
	t.deepEqual(checkPasswordPolicy(nfd), checkPasswordPolicy(nfc));
	t.deepEqual(checkPasswordPolicy(nfd).unmet, ['length']);

	const compliantNfd = 'Ünïcødé-Paß1'.normalize('NFD');
	t.deepEqual(checkPasswordPolicy(compliantNfd), checkPasswordPolicy('Ünïcødé-Paß1'));
	t.is(normalizePassword(compliantNfd), 'Ünïcødé-Paß1'.normalize('NFC'));
	// An astral character is one character, not two UTF-16 units.
	t.deepEqual(checkPasswordPolicy('Ab-🔑🔑🔑').unmet, ['length']);
});

test('a weak password throws WEAK_PASSWORD naming every unmet rule in words, never the password', t => {
	const error = t.throws(() => assertBackupPassword('secretpw'));
	t.true(isRscmError(error, 'WEAK_PASSWORD'));
	t.regex(error.message, /an uppercase letter/);
	t.regex(error.message, /a symbol/);
	t.notRegex(error.message, /at least 8 characters/);
	t.notRegex(error.message, /lowercase/);
	t.false(error.message.includes('secretpw'));
	const all = t.throws(() => assertBackupPassword(''));
	t.regex(all.message, /at least 8 characters, an uppercase letter, a lowercase letter and a symbol/);
});

test('Confirm Password must match; NFC-equal inputs match', t => {
	const error = t.throws(() => assertBackupPassword('Ünïcødé-Paß1', 'Ünïcødé-Paß2'));
	t.true(isRscmError(error, 'PASSWORD_MISMATCH'));
	t.false(error.message.includes('Paß'));
	t.notThrows(() => assertBackupPassword('Ünïcødé-Paß1', 'Ünïcødé-Paß1'.normalize('NFD')));
	// The policy is reported first: it is the more fundamental problem.
	t.true(isRscmError(t.throws(() => assertBackupPassword('weak', 'other')), 'WEAK_PASSWORD'));
});

// The strength estimate is zxcvbn-ts (common and English dictionaries, English feedback), loaded on first need.

test.serial('the estimator loads on first need, once', async t => {
	// Serial tests run before the others in this file: nothing has asked for an estimate yet.
	t.is(loadedPasswordStrength(), undefined);
	const [first, second] = await Promise.all([loadPasswordStrength(), loadPasswordStrength()]);
	t.is(first, second);
	t.is(loadedPasswordStrength(), first);
	t.is(first('Password1!').label, (await estimatePasswordStrength('Password1!')).label);
});

for (const password of ['Password1!', 'P@ssw0rd123!', 'Welcome1!', 'Qwerty123!', 'Qwertyuiop!']) {
	test(`the compliant but common ${JSON.stringify(password)} is estimated weak with a reason`, async t => {
		t.true(checkPasswordPolicy(password).ok);
		const strength = await estimatePasswordStrength(password);
		t.true(strength.score <= 1, `score ${strength.score}`);
		t.true(['very weak', 'weak'].includes(strength.label));
		t.is(strength.warnings[0], 'This is similar to a commonly used password.');
		// Warnings never quote the password (it may be on screen, or in a log of stderr).
		for (const warning of strength.warnings) t.false(warning.includes(password), warning);
	});
}

for (const password of ['Summer2024!', 'Admin@123']) {
	test(`the compliant ${JSON.stringify(password)} is not strong, and says how to improve it`, async t => {
		t.true(checkPasswordPolicy(password).ok);
		const strength = await estimatePasswordStrength(password);
		t.true(strength.score <= 2, `score ${strength.score}`);
		t.true(strength.warnings.includes('Add more words that are less common.'), strength.warnings.join(' | '));
	});
}

test('P@ssw0rd123! is flagged for its look-alike substitutions', async t => {
	const {score, warnings} = await estimatePasswordStrength('P@ssw0rd123!');
	t.true(score <= 1);
	t.true(warnings.some(warning => /predictable letter substitutions/.test(warning)), warnings.join(' | '));
});

test('keyboard walks, sequences and repeats are named', async t => {
	const named = async (password: string, pattern: RegExp) => {
		const {score, warnings} = await estimatePasswordStrength(password);
		t.true(score <= 1, `${password}: score ${score}`);
		t.regex(warnings[0] ?? '', pattern);
	};

	await named('Zxcvbnm,./Q', /^Straight rows of keys on your keyboard are easy to guess\.$/);
	await named('abcdefgh', /^Common character sequences like "abc" are easy to guess\.$/);
	await named('aaaaaaaa!', /^Repeated characters like "aaa" are easy to guess\.$/);
});

test('random 20-character passwords are very strong and carry no advice', async t => {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~';
	for (let round = 0; round < 20; round++) {
		const password = [...randomBytes(20)].map(byte => alphabet[byte % alphabet.length]).join('');
		const strength = await estimatePasswordStrength(password);
		t.is(strength.score, 4, password);
		t.is(strength.label, 'very strong');
		t.deepEqual(strength.warnings, []);
	}
});

test('the estimate is the same for NFC and NFD forms, and reads a long input only up to its limit', async t => {
	t.deepEqual(await estimatePasswordStrength('Ünïcødé-Paß1'.normalize('NFD')), await estimatePasswordStrength('Ünïcødé-Paß1'));
	t.is((await estimatePasswordStrength('')).score, 0);
	const estimate = await loadPasswordStrength();
	// The work is bounded by the limit, not by the input: what follows it changes nothing (a weak run stays weak
	// however strong its tail, which proves the tail is not read).
	for (const long of ['a'.repeat(100_000), 'Password'.repeat(10_000)]) {
		const head = long.slice(0, strengthInputLimit);
		t.deepEqual(estimate(long + 'Zq8#vL!2kW9@'.repeat(50)), estimate(head));
	}
});

test('a long passphrase of unrelated words is strong even though it has no digit', async t => {
	t.true((await estimatePasswordStrength('Copper kettle, violet harbour')).score >= 3);
});

test('the worker thread the Backup dialog asks gives the same estimates, and an idle one lets the process exit', async t => {
	// If the idle thread held the process open, this file's process would not exit and ava would fail it.
	for (const password of ['Password1!', 'abcd1234', 'Copper kettle, violet harbour', '']) {
		t.deepEqual(await estimateInThread(password), await estimatePasswordStrength(password), password);
	}
});
