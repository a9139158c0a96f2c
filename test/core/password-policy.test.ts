import {randomBytes} from 'node:crypto';
import test from 'ava';
import {isRscmError} from '../../source/core/errors.ts';
import {
	assertBackupPassword,
	checkPasswordPolicy,
	estimatePasswordStrength,
	normalizePassword,
	type PasswordRule,
} from '../../source/core/password-policy.ts';

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

for (const password of ['Password1!', 'P@ssw0rd123!', 'Summer2024!', 'Welcome1!', 'Qwerty123!', 'ReportServer2024!', 'Admin@123']) {
	test(`the compliant but common ${JSON.stringify(password)} is estimated weak with a reason`, t => {
		t.true(checkPasswordPolicy(password).ok);
		const strength = estimatePasswordStrength(password);
		t.true(strength.score <= 1, `score ${strength.score}`);
		t.true(['very weak', 'weak'].includes(strength.label));
		t.true(strength.warnings.some(warning => /common word|keyboard|sequence|end of a word/i.test(warning)), strength.warnings.join(' | '));
		t.is(strength.warnings.some(warning => /15 or more characters/.test(warning)), [...password].length < 15);
		// Warnings never quote the password (Password1! is the one fixed example they use).
		if (password !== 'Password1!') for (const warning of strength.warnings) t.false(warning.includes(password));
	});
}

test('Password1! is flagged for its base word and for the digits and symbol at the end', t => {
	const {warnings} = estimatePasswordStrength('Password1!');
	t.true(warnings.some(warning => /common word/.test(warning)));
	t.true(warnings.some(warning => /Password1!/.test(warning) && /end/.test(warning)));
});

test('P@ssw0rd123! is flagged for its look-alike substitutions', t => {
	const {score, warnings} = estimatePasswordStrength('P@ssw0rd123!');
	t.true(score <= 1);
	t.true(warnings.some(warning => /look-alikes/.test(warning)));
});

test('keyboard walks, sequences and repeats are named', t => {
	t.true(estimatePasswordStrength('Zxcvbnm,./Q').warnings.some(warning => /Keyboard/.test(warning)));
	t.true(estimatePasswordStrength('Abcdefgh-9876').warnings.some(warning => /Sequences/.test(warning)));
	const repeated = estimatePasswordStrength('Aaaaaaaaaaaaaaaaaa!');
	t.true(repeated.warnings.some(warning => /Repeated/.test(warning)));
	t.true(repeated.score <= 1);
});

test('random 20-character passwords are very strong and carry no warning about length', t => {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~';
	for (let round = 0; round < 20; round++) {
		const password = [...randomBytes(20)].map(byte => alphabet[byte % alphabet.length]).join('');
		const strength = estimatePasswordStrength(password);
		t.is(strength.score, 4, password);
		t.is(strength.label, 'very strong');
		t.false(strength.warnings.some(warning => /15 or more/.test(warning)));
	}
});

test('shorter than 15 characters gets the recommendation and at most "strong"', t => {
	const strength = estimatePasswordStrength('xK9#mQ2$vL7&wR4');
	t.is(strength.score, 4);
	const short = estimatePasswordStrength('xK9#mQ2$vL7&wR');
	t.true(short.score <= 3);
	t.true(short.warnings.some(warning => /15 or more characters/.test(warning)));
});

test('the estimate is the same for NFC and NFD forms and stays fast on long input', t => {
	t.deepEqual(estimatePasswordStrength('Ünïcødé-Paß1'.normalize('NFD')), estimatePasswordStrength('Ünïcødé-Paß1'));
	t.is(estimatePasswordStrength('').score, 0);
	const started = performance.now();
	estimatePasswordStrength('a'.repeat(100_000));
	estimatePasswordStrength('Password'.repeat(10_000));
	t.true(performance.now() - started < 2000);
});

test('a long passphrase of unrelated words is strong even though it has no digit', t => {
	t.true(estimatePasswordStrength('Copper kettle, violet harbour').score >= 3);
});
