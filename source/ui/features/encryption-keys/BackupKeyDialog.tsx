import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import {useEffect, useRef, useState} from 'react';
import {Box} from 'ink';
import {Text} from '../../components/Text.tsx';
import type {RscmError} from '../../../errors.ts';
import {backupKey, suggestedBackupFile, type BackupResult} from '../../../core/key-backup.ts';
import {checkPasswordPolicy, normalizePassword, type PasswordRule} from '../../../core/password-policy.ts';
import {useSession} from '../../contexts/session-context.ts';
import {errorField, useFieldError, type FieldErrorState} from '../../hooks/use-field-error.ts';
import {useFocusRing} from '../../hooks/use-focus-ring.ts';
import {useFormSubmit} from '../../hooks/use-form-submit.ts';
import {usePasswordStrength} from '../../hooks/use-password-strength.ts';
import type {PageResult} from '../../page-types.ts';
import {theme} from '../../theme.ts';
import Button from '../../components/Button.tsx';
import Checklist from '../../components/Checklist.tsx';
import ConfirmDialog from '../../components/ConfirmDialog.tsx';
import Dialog from '../../components/Dialog.tsx';
import FieldErrorLine from '../../components/FieldErrorLine.tsx';
import Spinner from '../../components/Spinner.tsx';
import TextField from '../../components/TextField.tsx';

export type BackupKeyDialogProps = {
	/** A line above the fields saying why the dialog opened (the Service Account page's change). */
	intro?: string;
	/** The page area the dialog takes (Ink cannot stack boxes, so a dialog replaces the page). */
	width: number;
	height: number;
	report: (result: PageResult) => void;
	/** After the file is written and the backup recorded. */
	onDone: (result: BackupResult) => void;
	onCancel: () => void;
	/** The shell's quit signal: quitting while the KDF runs writes nothing. */
	exitSignal?: AbortSignal;
};

const labelWidth = 17;

/**
 * Where the suggested backup goes: the directory the admin started rscm in. `npm start` runs in the project's own
 * directory, a source checkout, where a key backup does not belong: there it is where npm was invoked (INIT_CWD),
 * or the home directory when that was the checkout too.
 */
export function backupDirectory(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
	if (env['npm_lifecycle_event'] !== 'start') return cwd;
	const invokedFrom = env['INIT_CWD'];
	return invokedFrom && path.resolve(invokedFrom) !== path.resolve(cwd) ? invokedFrom : os.homedir();
}

/**
 * The policy rules as the checklist names them: short enough for two columns at 80×24 (the dialog has 45 columns
 * there), and the same words on a taller page, where they are listed one per line.
 */
const ruleLabels: Record<PasswordRule, string> = {
	length: '8 or more characters',
	uppercase: 'Uppercase letter',
	lowercase: 'Lowercase letter',
	symbol: 'Symbol such as ! or #',
};

/** The unmet rules in the refusal under the Password field, short enough for two lines at 80×24. */
const missingRuleText: Record<PasswordRule, string> = {
	length: '8+ characters',
	uppercase: 'an uppercase letter',
	lowercase: 'a lowercase letter',
	symbol: 'a symbol',
};

function PasswordRules({password, roomy}: {password: string; roomy: boolean}) {
	const {checks} = checkPasswordPolicy(password);
	const items = checks.map(check => ({id: check.rule, label: ruleLabels[check.rule], ok: check.met}));
	if (roomy) return <Checklist items={items} />;
	const column = (rules: readonly string[]) => items.filter(item => rules.includes(item.id));
	return (
		<Box flexDirection="row">
			<Box width={25} flexShrink={0}>
				<Checklist items={column(['length', 'symbol'])} />
			</Box>
			<Checklist items={column(['uppercase', 'lowercase'])} />
		</Box>
	);
}

function MatchIndicator({password, confirm}: {password: string; confirm: string}) {
	if (confirm === '') return <Text {...theme.text('muted')}>Type the password again to confirm it.</Text>;
	// Compared as the KDF will see them (NFC), like the core's own check.
	const match = normalizePassword(password) === normalizePassword(confirm);
	return match ? (
		<Text>
			<Text {...theme.text('success')}>✔</Text> Passwords match
		</Text>
	) : (
		<Text>
			<Text {...theme.text('error')}>✖</Text> Passwords do not match
		</Text>
	);
}

/**
 * Beyond SSRS: zxcvbn's strength estimate (core/password-strength.ts), which warns about `Password1!`-style passwords
 * without blocking them. It loads in a worker thread when the dialog opens; until then the line says so, and typing
 * goes on.
 */
function StrengthHint({password}: {password: string}) {
	const strength = usePasswordStrength(password);
	if (password === '') return <Text {...theme.text('muted')}>15 or more characters are recommended.</Text>;
	if (strength === 'checking') return <Text {...theme.text('muted')}>Strength: checking…</Text>;
	// Only when the estimate's thread cannot start (an incomplete installation); the policy checklist still applies.
	if (strength === 'unavailable') return <Text {...theme.text('muted')}>Strength: no estimate available.</Text>;
	const strong = strength.score >= 3;
	// Advice only for a guessable password: "very strong — sequences are easy to guess" would contradict itself.
	const advice = strong ? undefined : strength.warnings[0];
	return (
		<Text wrap="wrap">
			<Text {...theme.text(strong ? 'success' : 'warning')}>Strength: {strength.label}</Text>
			{advice === undefined ? '' : ` — ${advice}`}
		</Text>
	);
}

/** Where an error shows: at its field, with the unmet rules spelt out for a weak password. */
function toFieldError(error: RscmError, password: string): FieldErrorState {
	if (error.code === 'WEAK_PASSWORD') {
		const unmet = checkPasswordPolicy(password).unmet;
		return {field: 'password', message: `Missing: ${unmet.map(rule => missingRuleText[rule]).join(', ')}`};
	}

	return {field: errorField(error), message: error.message};
}

/**
 * SSRS's Backup Encryption Key dialog: File Location (a suggested rskey-<instance>-<yyyymmdd>.snk), Password and
 * Confirm Password (masked), the live policy checklist, a match indicator and a strength hint. OK calls the core's
 * backupKey, which enforces the policy itself; this dialog only shows what the core decides. A file that exists is
 * replaced only after a confirmation, and a spinner turns while scrypt runs on libuv's pool, the dialog still
 * answering keys (Esc cancels: nothing is written).
 */
export default function BackupKeyDialog({intro, width, height, report, onDone, onCancel, exitSignal}: BackupKeyDialogProps) {
	const {session, status} = useSession();
	const [file, setFile] = useState(() => suggestedBackupFile(status?.instanceName ?? 'SSRS', new Date(), backupDirectory()));
	const [password, setPassword] = useState('');
	const [confirm, setConfirm] = useState('');
	const errors = useFieldError();
	const {work, submit} = useFormSubmit(report, errors);
	const [askOverwrite, setAskOverwrite] = useState(false);
	// The running backup's: Esc and closing the dialog abort it (nothing is written).
	const controller = useRef<AbortController | undefined>(undefined);

	useEffect(() => () => controller.current?.abort(), []);

	const backUp = async (overwrite: boolean) =>
		submit(
			async () => {
				const local = new AbortController();
				controller.current = local;
				const signal = exitSignal === undefined ? local.signal : AbortSignal.any([local.signal, exitSignal]);
				try {
					return await backupKey(session, {file, password, confirm, overwrite, signal});
				} finally {
					controller.current = undefined;
				}
			},
			(result, open) => {
				report({ok: true, message: `Key ${result.primaryFingerprint} backed up to ${result.file}`});
				if (open) onDone(result);
			},
			{
				answer(failure, open) {
					// Cancelled by Esc or by quitting: the dialog is gone and nothing was written.
					if (failure.code === 'CANCELLED' || !open) return true;
					if (failure.code !== 'FILE_EXISTS' || overwrite) return false;
					setAskOverwrite(true);
					return true;
				},
				fieldError: failure => toFieldError(failure, password),
			},
		);

	const cancel = () => {
		controller.current?.abort();
		onCancel();
	};

	if (askOverwrite) {
		return (
			<ConfirmDialog
				title="Backup Encryption Key"
				message={[`${file} already exists.`, 'Replace it with this backup?']}
				confirmLabel="Replace"
				width={width}
				onConfirm={() => {
					setAskOverwrite(false);
					void backUp(true);
				}}
				onCancel={() => {
					setAskOverwrite(false);
					errors.set({field: 'file', message: 'The file exists: choose another name, or press OK and Replace.'});
				}}
			/>
		);
	}

	return (
		<Dialog title="Backup Encryption Key" onCancel={cancel} width={width} height={height}>
			<BackupForm
				intro={intro}
				width={Math.max(20, width - 4)}
				roomy={height >= 20}
				file={file}
				password={password}
				confirm={confirm}
				error={errors.error}
				work={work}
				onFile={value => {
					setFile(value);
					errors.clear('file');
				}}
				onPassword={value => {
					setPassword(value);
					errors.clear('password');
				}}
				onConfirm={value => {
					setConfirm(value);
					errors.clear('confirm');
				}}
				onSubmit={() => void backUp(false)}
				onCancel={cancel}
			/>
		</Dialog>
	);
}

type BackupFormProps = {
	intro: string | undefined;
	width: number;
	roomy: boolean;
	file: string;
	password: string;
	confirm: string;
	error: FieldErrorState | undefined;
	work: Promise<unknown> | undefined;
	onFile: (value: string) => void;
	onPassword: (value: string) => void;
	onConfirm: (value: string) => void;
	onSubmit: () => void;
	onCancel: () => void;
};

/** The fields, in their own component so the focus ring runs inside the dialog's modal layer. */
function BackupForm(props: BackupFormProps) {
	const {intro, width, roomy, file, password, confirm, error, work} = props;
	const running = work !== undefined;
	const ring = useFocusRing({ids: ['file', 'password', 'confirm', 'ok', 'cancel'], isActive: true, initialId: 'password'});
	const fieldWidth = Math.max(10, width - labelWidth - 1);
	// While the KDF runs the fields keep the focus moving but do not change: the file being written is the one shown.
	const guard = (change: (value: string) => void) => (value: string) => {
		if (!running) change(value);
	};

	const errorAt = (field: string) => (error?.field === field ? error.message : undefined);
	const generalError = error !== undefined && !['file', 'password', 'confirm'].includes(error.field ?? '') ? error.message : undefined;
	return (
		<Box flexDirection="column">
			{intro === undefined ? null : <Text wrap="truncate-end">{intro}</Text>}
			<TextField
				label="File Location:"
				labelWidth={labelWidth}
				fieldWidth={fieldWidth}
				value={file}
				onChange={guard(props.onFile)}
				ring={ring}
				id="file"
				onSubmit={ring.next}
			/>
			<FieldErrorLine message={errorAt('file')} indent={1} maxLines={3} width={width} />
			<TextField
				label="Password:"
				labelWidth={labelWidth}
				fieldWidth={fieldWidth}
				value={password}
				onChange={guard(props.onPassword)}
				mask
				ring={ring}
				id="password"
				onSubmit={ring.next}
			/>
			<FieldErrorLine message={errorAt('password')} indent={1} width={width} />
			<TextField
				label="Confirm Password:"
				labelWidth={labelWidth}
				fieldWidth={fieldWidth}
				value={confirm}
				onChange={guard(props.onConfirm)}
				mask
				ring={ring}
				id="confirm"
				onSubmit={props.onSubmit}
			/>
			{errorAt('confirm') === undefined ? (
				<Box marginLeft={labelWidth + 1}>
					<MatchIndicator password={password} confirm={confirm} />
				</Box>
			) : (
				<FieldErrorLine message={errorAt('confirm')} indent={1} maxLines={1} width={width} />
			)}
			<PasswordRules password={password} roomy={roomy} />
			<StrengthHint password={password} />
			{running ? (
				<Spinner label="Protecting the key with the password… (Esc cancels)" promise={work} />
			) : generalError === undefined ? (
				<Text> </Text>
			) : (
				<Text {...theme.text('error')} wrap="truncate-end">
					✖ {generalError}
				</Text>
			)}
			<Box gap={2}>
				<Button label="OK" ring={ring} id="ok" disabled={running} onPress={props.onSubmit} />
				<Button label="Cancel" ring={ring} id="cancel" onPress={props.onCancel} />
			</Box>
		</Box>
	);
}
